//! HTTP-level integration tests.
