//! The read side of events: events as JSON for receipts and streams, with ids replaced by names
//! (which takes the bank's and the restaking strategies' names, so it sits in the read layer;
//! docs/architecture.md, "Layers").

use super::Event;
use crate::ids::AssetId;
use crate::state::State;

/// Events as JSON with asset and strategy ids replaced by their names, for receipts and streams.
pub fn render(state: &State, events: &[Event]) -> serde_json::Value {
    let mut out = serde_json::to_value(events).unwrap_or(serde_json::Value::Null);
    if let serde_json::Value::Array(items) = &mut out {
        for item in items
            .iter_mut()
            .filter_map(serde_json::Value::as_object_mut)
        {
            for (key, value) in item.iter_mut() {
                let Some(id) = value.as_u64().and_then(|n| u32::try_from(n).ok()) else {
                    continue;
                };
                let id = AssetId(id);
                match key.as_str() {
                    "asset" => *value = crate::bank::symbol(state, id).into(),
                    "strategy" => *value = crate::restaking::strategy_name(state, id).into(),
                    _ => {}
                }
            }
        }
    }
    out
}
