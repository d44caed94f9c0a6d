//! The synthetic demo data set (docs/demo-data.md), compiled into the binary and loaded on the
//! first start of the local profile only.

use crate::clock::Clock;
use crate::domain::import::{ImportPolicy, parse_import};
use crate::store::{Store, StoreError, meta_get, meta_set};

use super::import::{ImportActor, ImportError, write_batch};

pub const DEMO_DATA: &str = include_str!("../../assets/demo-data.json");
const LOADED_KEY: &str = "demo-data-loaded-at";

/// Whether the demo data was loaded into this database.
pub async fn loaded(store: &Store) -> Result<bool, StoreError> {
    Ok(store.meta_get(LOADED_KEY).await?.is_some())
}

/// Loads the demo data unless it was loaded before (or the database was set up without it).
/// Returns whether it loaded now.
pub async fn load_on_first_start(store: &Store, clock: &Clock) -> Result<bool, ImportError> {
    let doc: serde_json::Value = serde_json::from_str(DEMO_DATA)
        .map_err(|e| ImportError::Store(StoreError::Corrupt(format!("embedded demo data: {e}"))))?;
    let batch = parse_import(
        &doc,
        ImportPolicy {
            synthetic_pids_only: true,
        },
    )
    .map_err(ImportError::Invalid)?;
    let mut tx = store.begin().await?;
    if meta_get(&mut tx, LOADED_KEY).await?.is_some() {
        return Ok(false);
    }
    let counts = write_batch(
        &mut tx,
        clock,
        &batch,
        &ImportActor {
            actor: "system",
            trace_id: None,
        },
    )
    .await?;
    meta_set(
        &mut tx,
        LOADED_KEY,
        &crate::clock::format_micros(clock.now()),
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    tracing::info!(?counts, "demo data loaded");
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_demo_data_is_valid_and_complete() {
        let doc: serde_json::Value = serde_json::from_str(DEMO_DATA).unwrap();
        let batch = parse_import(
            &doc,
            ImportPolicy {
                synthetic_pids_only: true,
            },
        )
        .unwrap();
        let count_role = |r: &str| {
            batch
                .roles
                .iter()
                .filter(|(_, a)| a.role.as_str() == r)
                .count()
        };
        assert!(
            count_role("daglig-leder") >= 12,
            "vendors and ten customers have a daglig leder"
        );
        assert!(count_role("regnskapsforer") >= 25);
        let big_firm = batch
            .roles
            .iter()
            .filter(|(_, a)| a.role.as_str() == "regnskapsforer" && a.to.to_string() == "328383047")
            .count();
        assert!(big_firm >= 2000, "a firm with a few thousand clients");
        assert!(count_role("klientadministrator") >= 1);
        assert!(count_role("revisor") >= 1);
        assert!(count_role("forretningsforer") >= 1);
        assert!(batch.access_packages.len() >= 25);
        for name in [
            "skattegrunnlag",
            "ansvarlig-revisor",
            "revisormedarbeider",
            "regnskapsforer-med-signeringsrettighet",
            "regnskapsforer-uten-signeringsrettighet",
            "regnskapsforer-lonn",
            "forretningsforer-eiendom",
        ] {
            assert!(
                batch.access_packages.iter().any(|p| p.urn.name() == name),
                "{name}"
            );
        }
        assert!(
            batch
                .resources
                .iter()
                .any(|r| r.identifier.as_str() == "ske-krav-og-betalinger")
        );
    }
}
