//! EVM parameters: in state under `sys/param/` like the market's, changed
//! only by the regulator with `MarketTx::SetParam` (the market's parameter
//! check hands names starting with `evm.` to [`check`]).
//!
//! | name | default | meaning |
//! |---|---|---|
//! | `evm.tx_gas_limit` | 30,000,000 | most gas one transaction may ask for |
//! | `evm.block_gas_limit` | 1,000,000,000 | most gas a block's EVM transactions may ask for in total |
//! | `evm.gas_price_micro_fen` | 0 | fee per gas in millionths of a fen, paid in tokens to the platform account (`floor(gas_used x price / 10^6)`); 0 = no fee |
//! | `evm.deployers` | `""` | text: comma-separated hex account ids allowed to deploy; empty = every admitted (approved) account and the regulator |

use crate::codec;
use crate::genesis::{PREFIX_PARAM, ParamValue};
use crate::market::MarketError;
use crate::state::StateView;
use crate::types::AccountId;

/// Integer parameters: (name, default, maximum).
pub const INT_PARAMS: &[(&str, u64, u64)] = &[
    ("evm.tx_gas_limit", 30_000_000, 1_000_000_000),
    ("evm.block_gas_limit", 1_000_000_000, 1_000_000_000_000),
    ("evm.gas_price_micro_fen", 0, 1_000_000_000),
];
/// The deployer-list parameter (text).
pub const DEPLOYERS: &str = "evm.deployers";
/// Longest deployer list (accounts).
pub const MAX_DEPLOYERS: usize = 256;

/// The EVM parameters as read from state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvmParams {
    /// Most gas per transaction.
    pub tx_gas_limit: u64,
    /// Most gas per block.
    pub block_gas_limit: u64,
    /// Fee per gas, millionths of a fen.
    pub gas_price_micro_fen: u64,
    /// Allowed deployers (`None` = every admitted account).
    pub deployers: Option<Vec<AccountId>>,
}

fn raw(view: &(impl StateView + ?Sized), name: &str) -> crate::Result<Option<ParamValue>> {
    let key = [PREFIX_PARAM, name.as_bytes()].concat();
    match view.get(&key)? {
        None => Ok(None),
        Some(b) => Ok(Some(codec::decode(&b, 64 * 1024, "parameter")?)),
    }
}

impl EvmParams {
    /// Reads the parameters (defaults when absent or of the wrong type).
    pub fn load(view: &(impl StateView + ?Sized)) -> crate::Result<Self> {
        let mut ints = [0u64; 3];
        for (slot, (name, default, _)) in ints.iter_mut().zip(INT_PARAMS) {
            *slot = match raw(view, name)? {
                Some(ParamValue::Int(v)) => v,
                _ => *default,
            };
        }
        let deployers = match raw(view, DEPLOYERS)? {
            Some(ParamValue::Text(t)) if !t.trim().is_empty() => {
                Some(parse_list(&t).unwrap_or_default())
            }
            _ => None,
        };
        Ok(EvmParams {
            tx_gas_limit: ints[0],
            block_gas_limit: ints[1],
            gas_price_micro_fen: ints[2],
            deployers,
        })
    }

    /// The fee in fen for `gas` (rounded down).
    pub fn fee(&self, gas: u64) -> u64 {
        let f = u128::from(gas) * u128::from(self.gas_price_micro_fen) / 1_000_000;
        u64::try_from(f).unwrap_or(u64::MAX)
    }
}

fn parse_list(text: &str) -> Result<Vec<AccountId>, String> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let bytes = hex::decode(part).map_err(|e| format!("{part:?}: {e}"))?;
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| format!("{part:?}: not 32 bytes"))?;
        out.push(AccountId(arr));
    }
    if out.len() > MAX_DEPLOYERS {
        return Err(format!("more than {MAX_DEPLOYERS} deployers"));
    }
    Ok(out)
}

/// Checks a regulator's change of an `evm.` parameter.
pub fn check(name: &str, value: &ParamValue) -> Result<(), MarketError> {
    if name == DEPLOYERS {
        return match value {
            ParamValue::Text(t) => parse_list(t)
                .map(drop)
                .map_err(|e| MarketError::invalid("value", e)),
            _ => Err(MarketError::invalid("value", "evm.deployers is text")),
        };
    }
    let (_, _, max) = INT_PARAMS
        .iter()
        .find(|(n, _, _)| *n == name)
        .ok_or_else(|| MarketError::invalid("name", format!("unknown parameter {name:?}")))?;
    match value {
        ParamValue::Int(v) if *v <= *max => Ok(()),
        ParamValue::Int(v) => Err(MarketError::invalid(
            "value",
            format!("{v} exceeds the maximum {max} of {name}"),
        )),
        _ => Err(MarketError::invalid(
            "value",
            "EVM gas parameters are integers",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_accepts_known_names_in_range_and_hex_deployer_lists() {
        assert!(check("evm.tx_gas_limit", &ParamValue::Int(1_000_000)).is_ok());
        assert!(check("evm.tx_gas_limit", &ParamValue::Int(u64::MAX)).is_err());
        assert!(check("evm.nope", &ParamValue::Int(1)).is_err());
        let list = format!("{},{}", hex::encode([1u8; 32]), hex::encode([2u8; 32]));
        assert!(check(DEPLOYERS, &ParamValue::Text(list)).is_ok());
        assert!(check(DEPLOYERS, &ParamValue::Text("zz".into())).is_err());
        assert!(check(DEPLOYERS, &ParamValue::Int(1)).is_err());
    }

    #[test]
    fn the_fee_rounds_down_in_millionths_of_a_fen() {
        let p = EvmParams {
            tx_gas_limit: 1,
            block_gas_limit: 1,
            gas_price_micro_fen: 10,
            deployers: None,
        };
        assert_eq!(p.fee(99_999), 0);
        assert_eq!(p.fee(100_000), 1);
    }
}
