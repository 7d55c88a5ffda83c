use thiserror::Error;

/// What can go wrong in the store, in terms the HTTP layer can map to MISP's
/// answers. Database details stay in `Other` and are logged, never echoed.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken; the payload names the field.
    #[error("conflict on {0}")]
    Conflict(&'static str),
    /// The entity is still referenced (e.g. an organisation with users).
    #[error("in use: {0}")]
    InUse(&'static str),
    /// A reference to another entity does not resolve.
    #[error("invalid reference: {0}")]
    InvalidReference(&'static str),
    #[error(transparent)]
    Other(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl StoreError {
    /// Maps a database error, turning unique violations into `Conflict(field)`
    /// and foreign-key violations into `InvalidReference(field)`.
    pub(crate) fn from_db(e: sqlx::Error, field: &'static str) -> Self {
        match &e {
            sqlx::Error::RowNotFound => Self::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => Self::Conflict(field),
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                Self::InvalidReference(field)
            }
            _ => Self::Other(e),
        }
    }
}
