//! Why an EVM transaction is refused before the EVM runs.

/// Why an EVM transaction (deploy or call) or a read-only call is refused
/// before the EVM runs. In a block such a transaction still consumes its
/// nonce and gets a failed receipt with [`EvmError::code`].
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvmError {
    /// Init code longer than the EIP-3860 limit.
    #[error("init code of {len} bytes exceeds the limit of {max}")]
    InitCodeTooLarge {
        /// Length given.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// Init code is empty.
    #[error("init code is empty")]
    EmptyInitCode,
    /// Calldata longer than the ledger's limit.
    #[error("calldata of {len} bytes exceeds the limit of {max}")]
    CalldataTooLarge {
        /// Length given.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// A gas limit of zero, below the intrinsic cost, or above the
    /// per-transaction parameter.
    #[error("gas limit {got} outside 21000..={max}")]
    GasLimit {
        /// Limit given.
        got: u64,
        /// The `evm.tx_gas_limit` parameter.
        max: u64,
    },
    /// The block's gas (the `evm.block_gas_limit` parameter) is used up.
    #[error("block gas limit reached: {used} used, {asked} asked, limit {limit}")]
    BlockGasExhausted {
        /// Gas used by earlier transactions of the block.
        used: u64,
        /// This transaction's gas limit.
        asked: u64,
        /// The parameter.
        limit: u64,
    },
    /// The sender may not deploy contracts (not admitted, or not on the
    /// regulator's `evm.deployers` list).
    #[error("account {0} may not deploy contracts")]
    DeployNotAllowed(String),
    /// The called contract account is frozen.
    #[error("contract {0} is frozen")]
    FrozenContract(String),
    /// A contract moved native EVM value on (only the market moves tokens).
    #[error("native EVM value transfers are not supported; use the market contract")]
    NativeValue,
    /// revm refused the transaction before running it (e.g. a gas limit
    /// below the intrinsic cost of its calldata).
    #[error("refused by the EVM: {0}")]
    Rejected(String),
    /// The sender cannot pay the gas fee (`evm.gas_price_fen` x gas limit).
    #[error("cannot pay the gas fee of {need} fen (balance {have})")]
    Fee {
        /// Fee for the whole gas limit.
        need: u64,
        /// Token balance.
        have: u64,
    },
}

impl EvmError {
    /// The receipt code of a transaction refused for this reason (the
    /// market's codes end at 18; the EVM's are 30 and up, see
    /// [`crate::evm`]).
    pub fn code(&self) -> u32 {
        match self {
            EvmError::InitCodeTooLarge { .. }
            | EvmError::EmptyInitCode
            | EvmError::CalldataTooLarge { .. } => 33,
            EvmError::GasLimit { .. }
            | EvmError::BlockGasExhausted { .. }
            | EvmError::Rejected(_) => 34,
            EvmError::DeployNotAllowed(_) => 35,
            EvmError::FrozenContract(_) => 2,
            EvmError::NativeValue => 36,
            EvmError::Fee { .. } => 8,
        }
    }
}
