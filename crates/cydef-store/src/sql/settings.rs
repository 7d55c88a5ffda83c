use async_trait::async_trait;

use super::{PgStore, SqliteStore};
use crate::{SettingsStore, StoreResult};

macro_rules! impl_settings {
    ($store:ty) => {
        #[async_trait]
        impl SettingsStore for $store {
            async fn get_setting(&self, name: &str) -> StoreResult<Option<String>> {
                Ok(
                    sqlx::query_scalar("SELECT value FROM system_settings WHERE name = $1")
                        .bind(name)
                        .fetch_optional(&self.pool)
                        .await?,
                )
            }

            async fn init_setting(&self, name: &str, value: &str) -> StoreResult<String> {
                sqlx::query(
                    "INSERT INTO system_settings (name, value) VALUES ($1, $2) \
                     ON CONFLICT (name) DO NOTHING",
                )
                .bind(name)
                .bind(value)
                .execute(&self.pool)
                .await?;
                Ok(
                    sqlx::query_scalar("SELECT value FROM system_settings WHERE name = $1")
                        .bind(name)
                        .fetch_one(&self.pool)
                        .await?,
                )
            }
        }
    };
}

impl_settings!(SqliteStore);
impl_settings!(PgStore);
