//! When the tab's socket tries again: a jittered exponential backoff, as a pure function of the
//! attempt and a random draw, so both runtimes can be held to the same cases.

use crate::frames::{close_code, pacing};

/// The delay (ms) before attempt `attempt` (0 for the first retry), for a `random` draw in
/// `[0, 1)`: a ceiling of [`pacing::BACKOFF_FIRST_MS`] doubled per attempt up to
/// [`pacing::BACKOFF_MAX_MS`], the delay uniform over its upper half, so that the tabs of one
/// server do not come back in step and none waits less than half the ceiling.
pub fn delay_ms(attempt: u32, random: f64) -> f64 {
    // Past 2^6 × 250 ms the ceiling is the maximum anyway; the cap keeps `powi` finite.
    let doubled = 2_f64.powi(attempt.min(30) as i32);
    let ceiling = (pacing::BACKOFF_FIRST_MS as f64 * doubled).min(pacing::BACKOFF_MAX_MS as f64);
    ceiling / 2.0 + random.clamp(0.0, 1.0) * ceiling / 2.0
}

/// The reconnect schedule of one tab: how many attempts in a row have failed.
#[derive(Debug, Default)]
pub struct Backoff {
    attempt: u32,
}

impl Backoff {
    /// The delay (ms) before the next attempt, after a connection that ended with `code` having
    /// lasted `lasted_ms`. A stable connection starts the schedule over; a session that ended
    /// (sign-in, sign-out) reconnects at once, as who the visitor now is.
    pub fn next_delay_ms(&mut self, code: Option<u16>, lasted_ms: f64, random: f64) -> f64 {
        if lasted_ms > pacing::STABLE_AFTER_MS as f64 || code == Some(close_code::SESSION_ENDED) {
            self.attempt = 0;
        }
        if code == Some(close_code::SESSION_ENDED) {
            return 0.0;
        }
        let delay = delay_ms(self.attempt, random);
        self.attempt = self.attempt.saturating_add(1);
        delay
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use serde_json::Value;

    use super::{Backoff, delay_ms};
    use crate::frames::close_code;

    #[test]
    fn the_delays_are_the_fixtures() {
        let fixture: Value =
            serde_json::from_str(include_str!("../../../../../fixtures/protocol.json"))
                .expect("json");
        let cases = fixture["socket"]["backoff"].as_array().expect("cases");
        assert!(!cases.is_empty());
        for case in cases {
            let attempt = case["attempt"].as_u64().expect("attempt") as u32;
            let random = case["random"].as_f64().expect("random");
            let expected = case["delay_ms"].as_f64().expect("delay");
            assert!(
                (delay_ms(attempt, random) - expected).abs() < 1e-9,
                "attempt {attempt}, random {random}: {} instead of {expected}",
                delay_ms(attempt, random)
            );
        }
    }

    #[test]
    fn failures_back_off_and_stability_or_a_new_session_start_over() {
        let mut backoff = Backoff::default();
        let delays: Vec<f64> = (0..3)
            .map(|_| backoff.next_delay_ms(None, 100.0, 0.0))
            .collect();
        assert_eq!(delays, [125.0, 250.0, 500.0]);
        assert_eq!(
            backoff.next_delay_ms(None, 60_000.0, 0.0),
            125.0,
            "a connection that lasted is stable: start over"
        );
        backoff.next_delay_ms(None, 0.0, 0.0);
        assert_eq!(
            backoff.next_delay_ms(Some(close_code::SESSION_ENDED), 0.0, 0.9),
            0.0,
            "a session that ended reconnects at once"
        );
        assert_eq!(backoff.next_delay_ms(None, 0.0, 0.0), 125.0);
        for _ in 0..100 {
            backoff.next_delay_ms(None, 0.0, 0.5);
        }
        assert_eq!(backoff.next_delay_ms(None, 0.0, 1.0), 10_000.0, "capped");
    }
}
