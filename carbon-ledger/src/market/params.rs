//! Market parameters: integers in state under `sys/param/` name (the
//! genesis layout), defaults when absent, changed only by the regulator
//! with [`super::MarketTx::SetParam`].
//!
//! | name | default | meaning |
//! |---|---|---|
//! | `market.fee_bps` | 5 | fee per side on a trade's value, basis points, to the platform account |
//! | `market.price_band_bps` | 1,000 | order price band around the reference price (±10%) |
//! | `market.max_order_t` | 100,000 | largest limit order (t) |
//! | `market.block_trade_min_t` | 100,000 | smallest block trade (t) |
//! | `market.block_trade_band_bps` | 3,000 | block-trade band (±30%) |
//! | `market.initial_reference_price` | 5,000 | reference price (fen/t) before any trade |
//! | `offset.cap_bps` | 500 | offsets surrendered at most 5% of verified emissions |
//! | `offset.grid_factor_e4` | 5,703 | grid emission factor, 1/10,000 tCO2 per MWh (0.5703) |
//! | `offset.forest_factor_e4` | 10,000 | forest: tonnes sequestered are tonnes issued |
//! | `offset.methane_factor_e4` | 280,000 | methane: tonnes of CH4 destroyed x GWP 28 |
//! | `penalty.min_fen` | 2,000,000 | fine for the smallest shortfall (fen, ¥20,000) |
//! | `penalty.max_fen` | 3,000,000 | fine for a shortfall of everything required (fen, ¥30,000) |
//! | `penalty.per_tonne_fen` | 0 | fine per tonne of shortfall (fen), added to the above |
//! | `gwp.co2`, `gwp.ch4`, `gwp.n2o`, `gwp.cf4`, `gwp.c2f6` | 1, 28, 265, 6,630, 11,100 | IPCC AR5 100-year GWPs |

use super::error::{Fail, MResult, MarketError};
use super::records::ProjectKind;
use super::tx::Gas;
use crate::codec;
use crate::genesis::{PREFIX_PARAM, ParamValue};
use crate::state::StateView;

/// Every market parameter: (name, default, maximum allowed value).
pub const PARAMS: &[(&str, u64, u64)] = &[
    ("market.fee_bps", 5, 1_000),
    ("market.price_band_bps", 1_000, 10_000),
    ("market.max_order_t", 100_000, 1_000_000_000),
    ("market.block_trade_min_t", 100_000, 1_000_000_000),
    ("market.block_trade_band_bps", 3_000, 10_000),
    ("market.initial_reference_price", 5_000, 1_000_000_000),
    ("offset.cap_bps", 500, 10_000),
    ("offset.grid_factor_e4", 5_703, 1_000_000),
    ("offset.forest_factor_e4", 10_000, 1_000_000),
    ("offset.methane_factor_e4", 280_000, 10_000_000),
    ("penalty.min_fen", 2_000_000, 1_000_000_000_000),
    ("penalty.max_fen", 3_000_000, 1_000_000_000_000),
    ("penalty.per_tonne_fen", 0, 1_000_000_000),
    ("gwp.co2", 1, 100_000),
    ("gwp.ch4", 28, 100_000),
    ("gwp.n2o", 265, 100_000),
    ("gwp.cf4", 6_630, 100_000),
    ("gwp.c2f6", 11_100, 100_000),
];

/// The market parameters as read from state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    values: Vec<u64>,
}

fn index(name: &str) -> Option<usize> {
    PARAMS.iter().position(|(n, _, _)| *n == name)
}

impl Params {
    /// Reads every parameter from `view` (defaults when absent; a stored
    /// value that is not an integer counts as absent).
    pub fn load(view: &(impl StateView + ?Sized)) -> MResult<Self> {
        Self::load_with(|k| Ok(view.get(k)?))
    }

    /// Reads every parameter through `get` (as [`Params::load`]).
    pub(crate) fn load_with(get: impl Fn(&[u8]) -> MResult<Option<Vec<u8>>>) -> MResult<Self> {
        let mut values = Vec::with_capacity(PARAMS.len());
        for (name, default, _) in PARAMS {
            let key = [PREFIX_PARAM, name.as_bytes()].concat();
            let v = match get(&key)? {
                Some(b) => match codec::decode::<ParamValue>(&b, 4096, "parameter")
                    .map_err(|e| Fail::Fatal(e.into()))?
                {
                    ParamValue::Int(v) => v,
                    _ => *default,
                },
                None => *default,
            };
            values.push(v);
        }
        Ok(Params { values })
    }

    /// A parameter by name (`None` for an unknown name).
    pub fn get(&self, name: &str) -> Option<u64> {
        index(name).map(|i| self.values[i])
    }

    fn v(&self, name: &str) -> u64 {
        self.get(name)
            .expect("invariant: internal names are in PARAMS")
    }

    /// Fee per side, basis points.
    pub fn fee_bps(&self) -> u64 {
        self.v("market.fee_bps")
    }
    /// Price band, basis points.
    pub fn band_bps(&self) -> u64 {
        self.v("market.price_band_bps")
    }
    /// Largest limit order (t).
    pub fn max_order(&self) -> u64 {
        self.v("market.max_order_t")
    }
    /// Smallest block trade (t).
    pub fn block_min(&self) -> u64 {
        self.v("market.block_trade_min_t")
    }
    /// Block-trade band, basis points.
    pub fn block_band_bps(&self) -> u64 {
        self.v("market.block_trade_band_bps")
    }
    /// Reference price before any trade.
    pub fn initial_reference(&self) -> u64 {
        self.v("market.initial_reference_price")
    }
    /// Offset cap in compliance, basis points of verified emissions.
    pub fn offset_cap_bps(&self) -> u64 {
        self.v("offset.cap_bps")
    }
    /// The fine for a default (fen): `penalty.min_fen` plus the share
    /// `shortfall / required` of the range up to `penalty.max_fen` (rounded
    /// down; a maximum below the minimum counts as the minimum), plus
    /// `shortfall x penalty.per_tonne_fen`; saturating at `u64::MAX`. So the
    /// defaults fine ¥20,000 for the smallest shortfall up to ¥30,000 for
    /// surrendering nothing, and a regulator who wants a pure per-tonne fine
    /// sets the range to zero.
    pub fn fine(&self, shortfall: u64, required: u64) -> u64 {
        let min = self.v("penalty.min_fen");
        let span = self.v("penalty.max_fen").saturating_sub(min);
        let scaled = if required == 0 {
            span
        } else {
            // shortfall <= required, so the share is at most the span.
            let share =
                u128::from(span) * u128::from(shortfall.min(required)) / u128::from(required);
            u64::try_from(share).expect("invariant: at most span, a u64")
        };
        min.saturating_add(scaled)
            .saturating_add(shortfall.saturating_mul(self.v("penalty.per_tonne_fen")))
    }
    /// A gas's GWP.
    pub fn gwp(&self, g: Gas) -> u64 {
        self.v(g.param())
    }
    /// Emission factor of a project kind, in 1/10,000 t per unit of activity.
    pub fn factor_e4(&self, k: ProjectKind) -> u64 {
        match k {
            ProjectKind::Forest => self.v("offset.forest_factor_e4"),
            ProjectKind::Methane => self.v("offset.methane_factor_e4"),
            ProjectKind::Solar | ProjectKind::Wind | ProjectKind::Hydro | ProjectKind::Biomass => {
                self.v("offset.grid_factor_e4")
            }
        }
    }
}

/// Checks a regulator's parameter change: a known name and an integer
/// within its range.
pub fn check(name: &str, value: &ParamValue) -> Result<(), MarketError> {
    #[cfg(feature = "evm")]
    if name.starts_with("evm.") {
        return crate::evm::params::check(name, value);
    }
    let i = index(name)
        .ok_or_else(|| MarketError::invalid("name", format!("unknown parameter {name:?}")))?;
    match value {
        ParamValue::Int(v) if *v <= PARAMS[i].2 => Ok(()),
        ParamValue::Int(v) => Err(MarketError::invalid(
            "value",
            format!("{v} exceeds the maximum {} of {name}", PARAMS[i].2),
        )),
        _ => Err(MarketError::invalid(
            "value",
            "market parameters are integers",
        )),
    }
}

/// Band limits `ref ± floor(ref * bps / 10^4)` (inclusive).
pub fn band(reference: u64, bps: u64) -> (u64, u64) {
    let delta_down = (u128::from(reference) * u128::from(bps)) / 10_000;
    let delta_down = u64::try_from(delta_down).unwrap_or(u64::MAX);
    let low = reference.saturating_sub(delta_down);
    let high = reference.saturating_add(delta_down);
    (low, high)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn band_is_symmetric_and_rounds_the_delta_down() {
        assert_eq!(band(5_000, 1_000), (4_500, 5_500));
        assert_eq!(band(5_005, 1_000), (4_505, 5_505));
        assert_eq!(band(0, 1_000), (0, 0));
        assert_eq!(band(u64::MAX, 3_000).1, u64::MAX);
    }

    fn with(pairs: &[(&str, u64)]) -> Params {
        let mut p = Params {
            values: PARAMS.iter().map(|(_, d, _)| *d).collect(),
        };
        for (name, v) in pairs {
            p.values[index(name).expect("known parameter")] = *v;
        }
        p
    }

    #[test]
    fn the_fine_is_the_minimum_plus_the_shortfall_share_of_the_range_plus_per_tonne() {
        let p = with(&[]);
        assert_eq!(p.fine(1, 1_000), 2_001_000);
        assert_eq!(p.fine(500, 1_000), 2_500_000);
        assert_eq!(p.fine(1_000, 1_000), 3_000_000);
        // Rounded down; a shortfall above what was required counts as all.
        assert_eq!(p.fine(1, 3), 2_333_333);
        assert_eq!(p.fine(5, 3), 3_000_000);
        assert_eq!(p.fine(7, 0), 3_000_000);
        let p = with(&[("penalty.per_tonne_fen", 100)]);
        assert_eq!(p.fine(10, 1_000), 2_010_000 + 1_000);
        let p = with(&[
            ("penalty.min_fen", 0),
            ("penalty.max_fen", 0),
            ("penalty.per_tonne_fen", 7),
        ]);
        assert_eq!(p.fine(10, 1_000), 70);
    }

    #[test]
    fn a_fine_maximum_below_the_minimum_counts_as_the_minimum_and_large_fines_saturate() {
        let p = with(&[("penalty.min_fen", 5), ("penalty.max_fen", 1)]);
        assert_eq!(p.fine(1_000, 1_000), 5);
        let p = with(&[("penalty.per_tonne_fen", 1_000_000_000)]);
        assert_eq!(p.fine(u64::MAX, u64::MAX), u64::MAX);
    }

    #[test]
    fn check_rejects_unknown_names_text_and_out_of_range_values() {
        assert!(check("market.fee_bps", &ParamValue::Int(1_000)).is_ok());
        assert!(check("market.fee_bps", &ParamValue::Int(1_001)).is_err());
        assert!(check("market.fee_bps", &ParamValue::Bool(true)).is_err());
        assert!(check("network.name", &ParamValue::Int(1)).is_err());
    }
}
