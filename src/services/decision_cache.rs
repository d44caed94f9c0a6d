//! What decisions read, kept between decisions for as long as the store's change feed says
//! nothing changed (`store::changes`): a value read at generation `g` is used only while the
//! generation is still `g`, so a revocation committed by this instance is seen by the next
//! decision, and one by another instance as soon as its notification arrives. While the feed
//! is not trusted every decision reads the database.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use crate::domain::Pid;
use crate::domain::agent::ClientRelation;
use crate::domain::xacml::Party;
use crate::store::StoreError;
use crate::store::changes::ChangeFeed;
use crate::store::decision::{DecisionSystemUser, ResourcePolicyRow};
use crate::store::reference::PartyRecord;

/// Entries per kind; a full kind starts over (old generations' entries are dropped with it).
pub const ENTRIES_PER_KIND: usize = 200_000;

/// Values by key with the generation they were read at.
#[derive(Debug)]
pub struct Remembered<K, V>(Mutex<HashMap<K, (u64, V)>>);

impl<K, V> Default for Remembered<K, V> {
    fn default() -> Self {
        Self(Mutex::new(HashMap::new()))
    }
}

impl<K: Eq + Hash, V: Clone> Remembered<K, V> {
    /// The value for `key`, read from the cache when the feed vouches for it, otherwise by
    /// `load` (and kept).
    pub async fn get_or_load<F>(&self, feed: &ChangeFeed, key: K, load: F) -> Result<V, StoreError>
    where
        F: Future<Output = Result<V, StoreError>>,
    {
        // The generation before the read: a change committed during it makes the entry stale.
        let generation = feed.generation();
        if let Some(g) = generation
            && let Some(v) = self.lookup(&key, g)
        {
            return Ok(v);
        }
        let value = load.await?;
        if let Some(g) = generation {
            self.keep(key, g, value.clone());
        }
        Ok(value)
    }

    fn lookup(&self, key: &K, generation: u64) -> Option<V> {
        let map = self.0.lock().ok()?;
        map.get(key)
            .filter(|(g, _)| *g == generation)
            .map(|(_, v)| v.clone())
    }

    fn keep(&self, key: K, generation: u64, value: V) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= ENTRIES_PER_KIND {
                map.clear();
            }
            map.insert(key, (generation, value));
        }
    }
}

/// Every kind of thing a decision reads.
#[derive(Debug, Default)]
pub struct DecisionCache {
    pub resources: Remembered<String, Option<Arc<ResourcePolicyRow>>>,
    /// Service-owner codes by organisation number.
    pub owners: Remembered<String, Option<String>>,
    pub parties: Remembered<Party, Option<Arc<PartyRecord>>>,
    pub persons: Remembered<Pid, Option<Arc<PartyRecord>>>,
    pub system_users: Remembered<uuid::Uuid, Option<Arc<DecisionSystemUser>>>,
    /// An agent's client: (agent, facilitator party, client party).
    pub clients: Remembered<(uuid::Uuid, i64, i64), Option<Arc<ClientRelation>>>,
    /// A person's roles: (organisation party, person party).
    pub roles: Remembered<(i64, i64), Arc<Vec<String>>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_value_is_kept_until_the_generation_moves() {
        let feed = ChangeFeed::default();
        let cache: Remembered<u8, u32> = Remembered::default();
        let load = |v: u32| async move { Ok::<_, StoreError>(v) };
        // Not trusted yet: every read loads.
        assert_eq!(cache.get_or_load(&feed, 1, load(1)).await.unwrap(), 1);
        assert_eq!(cache.get_or_load(&feed, 1, load(2)).await.unwrap(), 2);
        feed.start_for_tests();
        assert_eq!(cache.get_or_load(&feed, 1, load(3)).await.unwrap(), 3);
        assert_eq!(cache.get_or_load(&feed, 1, load(4)).await.unwrap(), 3);
        feed.moved();
        assert_eq!(cache.get_or_load(&feed, 1, load(5)).await.unwrap(), 5);
        assert_eq!(cache.get_or_load(&feed, 1, load(6)).await.unwrap(), 5);
    }
}
