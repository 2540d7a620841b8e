//! Who the token belongs to.

use crate::client::{Auth, Call, HubClient};
use crate::error::{HubError, Operation};
use crate::transport::Transport;
use crate::types::WhoAmI;

impl<T: Transport> HubClient<T> {
    /// `GET /api/whoami-v2`. Rate-limited by the Hub: call it once per session and keep it.
    pub async fn whoami_v2(&self) -> Result<WhoAmI, HubError> {
        let call = Call::get(Operation::WhoAmI, self.url("/api/whoami-v2")).auth(Auth::Required);
        self.json(&call).await
    }
}
