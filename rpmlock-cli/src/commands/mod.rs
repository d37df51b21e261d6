//! One module per subcommand.

pub(crate) mod diff;
pub(crate) mod fetch;
pub(crate) mod lock;
pub(crate) mod sbom;
pub(crate) mod verify;
pub(crate) mod why;

use std::path::PathBuf;

use clap::Args;
use rpmlock_core::repo::FetchOptions;

/// Where the cache is and how the network is used: the options every command that
/// downloads shares.
#[derive(Debug, Args)]
pub(crate) struct CacheArgs {
    /// Cache directory (default: $XDG_CACHE_HOME/rpmlock/v1, else ~/.cache/rpmlock/v1).
    #[arg(long, value_name = "DIR", env = "RPMLOCK_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
    /// Subscription-manager entitlement directory (NNN.pem + NNN-key.pem): the newest
    /// valid pair is the client certificate of every https repo without its own
    /// sslclientcert.
    #[arg(long, value_name = "DIR", env = "RPMLOCK_ENTITLEMENT_DIR")]
    entitlement_dir: Option<PathBuf>,
    /// First retry delay in milliseconds, doubled on each retry (0: retry at once).
    #[arg(long, value_name = "MS", env = "RPMLOCK_RETRY_DELAY_MS", hide = true)]
    retry_delay_ms: Option<u64>,
}

impl CacheArgs {
    /// The fetch options these arguments and the environment
    /// (`RPMLOCK_RESOLUTION_CACHE`, `RPMLOCK_INSECURE_REGISTRIES`) give.
    pub(crate) fn fetch_options(&self) -> FetchOptions {
        let mut fetch = FetchOptions {
            cache_dir: self
                .cache_dir
                .clone()
                .unwrap_or_else(rpmlock_core::repo::default_cache_dir),
            entitlement_dir: self.entitlement_dir.clone(),
            ..FetchOptions::default()
        };
        if let Some(ms) = self.retry_delay_ms {
            fetch.retry_delay = std::time::Duration::from_millis(ms);
        }
        crate::fetch_options_from_env(fetch)
    }
}
