use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use avisa_domain::PortError;
use avisa_domain::channel::Channel;
use avisa_domain::ports::{Priority, RateLimiter, RateScope, URGENT_SECONDS_AHEAD};
use aws_sdk_dynamodb::types::AttributeValue;
use jiff::Timestamp;

use super::{DynamoStore, n, s};
use crate::error::{classify, condition_held};

/// A second's budget item lives a minute (TTL), long enough for every invocation of that second.
const BUDGET_TTL_SECONDS: i64 = 60;

/// What this container knows of the budgets it used, each by budget key.
#[derive(Debug, Default)]
pub(super) struct Reserved {
    /// Reserved and not spent yet: (second, units left).
    unspent: Mutex<HashMap<String, (i64, u32)>>,
    /// The last second it marked as kept for urgent sends.
    kept_for_urgent: Mutex<HashMap<String, i64>>,
    /// The least it was refused, for urgent sends or not: (second, units).
    refused: Mutex<HashMap<(String, bool), (i64, u32)>>,
}

/// Poisoned only by a panic between reading and writing a number, which leaves the map whole.
fn locked<T>(map: &Mutex<T>) -> MutexGuard<'_, T> {
    map.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Reserved {
    /// Spends `units` of what was reserved for `second`, if enough is left.
    fn spend(&self, key: &str, second: i64, units: u32) -> bool {
        match locked(&self.unspent).get_mut(key) {
            Some((at, left)) if *at == second && *left >= units => {
                *left -= units;
                true
            }
            _ => false,
        }
    }

    /// The first of the seconds after `second` this container has not yet kept for urgent sends
    /// (`None` when it kept them all); they count as kept from now on.
    fn keep_for_urgent(&self, key: &str, second: i64) -> Option<i64> {
        let mut kept = locked(&self.kept_for_urgent);
        let last = kept.entry(key.to_owned()).or_insert(i64::MIN);
        let first = (*last + 1).max(second + 1);
        *last = second + URGENT_SECONDS_AHEAD;
        (first <= *last).then_some(first)
    }

    /// Whether asking for `units` of `second`'s budget would be refused, as a smaller or equal ask
    /// was: within its second a budget only fills up (and is only ever kept for urgent sends), so
    /// a paced delivery costs no request once its second is known to be spent.
    fn refused(&self, key: &str, second: i64, units: u32, priority: Priority) -> bool {
        locked(&self.refused)
            .get(&(key.to_owned(), priority == Priority::Urgent))
            .is_some_and(|&(at, least)| at == second && units >= least)
    }

    fn note_refused(&self, key: &str, second: i64, units: u32, priority: Priority) {
        let mut refused = locked(&self.refused);
        let entry = refused.entry((key.to_owned(), priority == Priority::Urgent)).or_insert((second, units));
        if entry.0 != second || units < entry.1 {
            *entry = (second, units);
        }
    }

    fn keep(&self, key: &str, second: i64, units: u32) {
        let mut unspent = locked(&self.unspent);
        let entry = unspent.entry(key.to_owned()).or_insert((second, 0));
        if entry.0 == second {
            entry.1 += units;
        } else {
            *entry = (second, units);
        }
    }
}

/// How much of a second's budget a send reserves: a quarter of it (so that four dispatchers
/// share a small budget), at most ten sends' worth, and never less than the send itself.
fn block(units: u32, per_second: u32) -> u32 {
    units.max((per_second / 4).min(units.saturating_mul(10)))
}

/// One counter per tenant (or the deployment), channel and second, shared by every concurrent dispatcher. Each takes
/// a block of it at a time and spends the block locally: a request per block, not per send. What
/// is reserved is never more than the second's budget in all; what a container reserved and did
/// not spend in its second is lost, and a send waits for the next second rather than exceed it.
#[async_trait]
impl RateLimiter for DynamoStore {
    async fn take(
        &self,
        scope: RateScope<'_>,
        channel: Channel,
        units: u32,
        per_second: u32,
        priority: Priority,
        now: Timestamp,
    ) -> Result<bool, PortError> {
        if units > per_second {
            return Ok(false);
        }
        let key = match scope {
            RateScope::Tenant(tenant_id) => format!("T#{tenant_id}#RATE#{}", channel.as_str()),
            // No tenant's key can start so: every tenant's starts `T#`.
            RateScope::Deployment => format!("DEPLOYMENT#RATE#{}", channel.as_str()),
        };
        let second = now.as_second();
        if self.recent.budgets.spend(&key, second, units) {
            return Ok(true);
        }
        let block = block(units, per_second);
        // A block first, then the send alone; neither asked again once refused in this second.
        for ask in [Some(block).filter(|block| *block > units), Some(units)].into_iter().flatten() {
            if self.recent.budgets.refused(&key, second, ask, priority) {
                continue;
            }
            if self.reserve(&key, second, ask, per_second, priority).await? {
                if ask > units {
                    self.recent.budgets.keep(&key, second, ask - units);
                }
                return Ok(true);
            }
            self.recent.budgets.note_refused(&key, second, ask, priority);
        }
        if priority == Priority::Urgent {
            self.keep_for_urgent(&key, second).await?;
        }
        Ok(false)
    }
}

impl DynamoStore {
    /// Takes `units` of `second`'s budget of `per_second` for all dispatchers; `false` when too
    /// little is left, or, for a routine send, when the second is kept for urgent ones.
    async fn reserve(
        &self,
        key: &str,
        second: i64,
        units: u32,
        per_second: u32,
        priority: Priority,
    ) -> Result<bool, PortError> {
        const OPERATION: &str = "dynamodb.UpdateItem(rate)";
        let room = "(attribute_not_exists(used) OR used <= :room)";
        let condition = match priority {
            Priority::Urgent => room.to_owned(),
            Priority::Routine => format!("{room} AND attribute_not_exists(urgent)"),
        };
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(key))
            .key("sk", s(second.to_string()))
            .update_expression("ADD used :units SET expires_at = :expires")
            .condition_expression(condition)
            .expression_attribute_values(":units", n(i64::from(units)))
            .expression_attribute_values(":room", n(i64::from(per_second - units)))
            .expression_attribute_values(":expires", n(second + BUDGET_TTL_SECONDS))
            .send()
            .await;
        condition_held(OPERATION, result)
    }

    /// Marks the next seconds' budgets as kept for urgent sends (those this container has not).
    async fn keep_for_urgent(&self, key: &str, second: i64) -> Result<(), PortError> {
        const OPERATION: &str = "dynamodb.UpdateItem(rate, urgent)";
        let Some(first) = self.recent.budgets.keep_for_urgent(key, second) else { return Ok(()) };
        let marks = (first..=second + URGENT_SECONDS_AHEAD).map(|kept| {
            self.client
                .update_item()
                .table_name(&self.table)
                .key("pk", s(key))
                .key("sk", s(kept.to_string()))
                .update_expression("SET urgent = :yes, expires_at = :expires")
                .expression_attribute_values(":yes", AttributeValue::Bool(true))
                .expression_attribute_values(":expires", n(kept + BUDGET_TTL_SECONDS))
                .send()
        });
        for marked in futures_util::future::join_all(marks).await {
            marked.map_err(|e| classify(OPERATION, e))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_is_a_quarter_of_the_budget_at_most_ten_sends_and_never_less_than_the_send() {
        assert_eq!(block(1, 14), 3);
        assert_eq!(block(1, 1000), 10);
        assert_eq!(block(3, 1000), 30);
        assert_eq!(block(2, 3), 2);
        assert_eq!(block(5, 8), 5);
    }

    #[test]
    fn each_second_is_kept_for_urgent_sends_once_per_container() {
        let reserved = Reserved::default();
        assert_eq!(reserved.keep_for_urgent("k", 10), Some(11), "11 to 14");
        assert_eq!(reserved.keep_for_urgent("k", 10), None);
        assert_eq!(reserved.keep_for_urgent("k", 12), Some(15), "only 15 and 16 are new");
        assert_eq!(reserved.keep_for_urgent("other", 12), Some(13));
    }

    #[test]
    fn what_was_refused_in_a_second_is_refused_again_without_asking_and_only_then() {
        use Priority::{Routine, Urgent};
        let reserved = Reserved::default();
        reserved.note_refused("k", 10, 3, Routine);
        assert!(reserved.refused("k", 10, 3, Routine));
        assert!(reserved.refused("k", 10, 5, Routine), "more than was refused");
        assert!(!reserved.refused("k", 10, 2, Routine), "less may still fit");
        assert!(!reserved.refused("k", 11, 3, Routine), "the next second has its own budget");
        assert!(!reserved.refused("k", 10, 3, Urgent), "an urgent send is not kept out by urgent marks");
        assert!(!reserved.refused("other", 10, 3, Routine));
        reserved.note_refused("k", 10, 1, Routine);
        assert!(reserved.refused("k", 10, 2, Routine), "the least refused is what counts");
        reserved.note_refused("k", 10, 4, Routine);
        assert!(reserved.refused("k", 10, 1, Routine), "a larger refusal does not forget a smaller one");
        reserved.note_refused("k", 12, 4, Routine);
        assert!(!reserved.refused("k", 12, 1, Routine), "a new second starts afresh");
    }

    #[test]
    fn a_reservation_is_spent_only_in_its_own_second() {
        let reserved = Reserved::default();
        reserved.keep("k", 10, 2);
        assert!(reserved.spend("k", 10, 1));
        assert!(!reserved.spend("k", 11, 1), "the next second has its own budget");
        assert!(reserved.spend("k", 10, 1));
        assert!(!reserved.spend("k", 10, 1), "spent");
        assert!(!reserved.spend("other", 10, 1));
    }
}
