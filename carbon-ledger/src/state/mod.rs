//! The world state: a key/value map committed to by an [`LtHash`].
//!
//! Executors read state through a [`StateView`] and collect a block's writes
//! in an [`Overlay`], whose [`WriteSet`] the store commits atomically with
//! the block.

mod buffer;
mod lthash;
mod mem;
mod view;
mod writes;

pub use lthash::{Change, LANES, LTHASH_BYTES, LtHash};
pub use mem::MemState;
pub use view::{Entry, MAX_KEY_BYTES, MAX_VALUE_BYTES, Overlay, StateView, copy_into};
pub use writes::WriteSet;
