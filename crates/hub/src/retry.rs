//! When to try a request again, as a pure decision.

use std::time::Duration;

/// Exponential backoff for idempotent calls. The client asks [`RetryPolicy::delay_before_retry`]
/// after each failed attempt; `None` means give up and report the error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 = never retry).
    pub max_retries: u32,
    /// Delay before the first retry; doubles each time.
    pub base_delay: Duration,
    /// Upper bound of the computed backoff.
    pub max_delay: Duration,
    /// A `Retry-After` longer than this is not waited for: the error is returned instead.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// 3 retries, 500 ms → 1 s → 2 s (capped at 8 s), honouring `Retry-After` up to 30 s.
    fn default() -> Self {
        Self {
            max_retries: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

/// What happened on one attempt, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptFailure {
    /// The Hub answered with this status (and maybe `Retry-After`).
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// No answer (connection refused or dropped, timeout).
    Network,
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// Statuses worth another try for an idempotent call: rate limiting and server-side trouble.
    /// 500 is included (as `huggingface_hub` does) because the Hub's 500s are mostly transient.
    pub fn is_retryable_status(status: u16) -> bool {
        matches!(status, 429 | 500 | 502 | 503 | 504)
    }

    fn backoff(&self, retry_index: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry_index.min(16));
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }

    /// `attempt` counts from 1 (the attempt that just failed). Non-idempotent calls are never
    /// retried.
    pub fn delay_before_retry(
        &self,
        idempotent: bool,
        attempt: u32,
        failure: AttemptFailure,
    ) -> Option<Duration> {
        if !idempotent || attempt > self.max_retries {
            return None;
        }
        let backoff = self.backoff(attempt - 1);
        match failure {
            AttemptFailure::Network => Some(backoff),
            AttemptFailure::Status {
                status,
                retry_after,
            } if Self::is_retryable_status(status) => match retry_after {
                Some(wait) if wait > self.max_retry_after => None,
                Some(wait) => Some(wait),
                None => Some(backoff),
            },
            AttemptFailure::Status { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    fn status(status: u16) -> AttemptFailure {
        AttemptFailure::Status {
            status,
            retry_after: None,
        }
    }

    #[test]
    fn backs_off_exponentially_and_stops() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay_before_retry(true, 1, status(503)), Some(MS(500)));
        assert_eq!(p.delay_before_retry(true, 2, status(503)), Some(MS(1000)));
        assert_eq!(
            p.delay_before_retry(true, 3, AttemptFailure::Network),
            Some(MS(2000))
        );
        assert_eq!(p.delay_before_retry(true, 4, status(503)), None);
    }

    #[test]
    fn backoff_is_capped() {
        let p = RetryPolicy {
            max_retries: 30,
            ..RetryPolicy::default()
        };
        assert_eq!(
            p.delay_before_retry(true, 30, status(502)),
            Some(p.max_delay)
        );
    }

    #[test]
    fn only_transient_statuses_are_retried() {
        let p = RetryPolicy::default();
        for s in [429, 500, 502, 503, 504] {
            assert!(p.delay_before_retry(true, 1, status(s)).is_some(), "{s}");
        }
        for s in [400, 401, 403, 404, 409, 422, 501] {
            assert_eq!(p.delay_before_retry(true, 1, status(s)), None, "{s}");
        }
    }

    #[test]
    fn non_idempotent_calls_are_never_retried() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay_before_retry(false, 1, status(503)), None);
        assert_eq!(
            p.delay_before_retry(false, 1, AttemptFailure::Network),
            None
        );
    }

    #[test]
    fn retry_after_is_honoured_within_bounds() {
        let p = RetryPolicy::default();
        let with = |secs| AttemptFailure::Status {
            status: 429,
            retry_after: Some(Duration::from_secs(secs)),
        };
        assert_eq!(
            p.delay_before_retry(true, 1, with(3)),
            Some(Duration::from_secs(3))
        );
        assert_eq!(p.delay_before_retry(true, 1, with(3600)), None);
    }
}
