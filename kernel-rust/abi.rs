// SPDX-License-Identifier: GPL-2.0

//! The user-space ABI of `include/uapi/linux/syslet.h`: the atom layout and
//! its flags.
//!
//! Host-testable: no kernel types.  The crate root checks at compile time
//! that these definitions agree with the C header as bindgen sees it.

/// `struct syslet_uatom`: one system call of a syslet, as user space lays
/// it out.  All fields are plain integers, so every bit pattern is valid.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Atom {
    /// `SYSLET_*` flags.
    pub(crate) flags: u32,
    /// Native system call number.
    pub(crate) nr: u32,
    /// `__s64 __user *` that receives the result; 0 discards it.
    pub(crate) ret_ptr: u64,
    /// Next atom; 0 ends the chain.
    pub(crate) next: u64,
    /// `__u64 __user *` per argument; the first 0 ends the list.
    pub(crate) arg_ptr: [u64; 6],
    /// Never read or written by the kernel.
    pub(crate) private: u64,
}

/// Size of [`Atom`] in user memory.
pub(crate) const ATOM_SIZE: u64 = core::mem::size_of::<Atom>() as u64;

pub(crate) const SYSLET_ASYNC: u32 = 0x01;
pub(crate) const SYSLET_SYNC: u32 = 0x02;
pub(crate) const SYSLET_NO_COMPLETE: u32 = 0x04;
pub(crate) const SYSLET_STOP_ON_NONZERO: u32 = 0x08;
pub(crate) const SYSLET_STOP_ON_ZERO: u32 = 0x10;
pub(crate) const SYSLET_STOP_ON_NEGATIVE: u32 = 0x20;
pub(crate) const SYSLET_STOP_ON_NON_POSITIVE: u32 = 0x40;
pub(crate) const SYSLET_SKIP_TO_NEXT_ON_STOP: u32 = 0x80;

/// Status bits in the low bits of a completion ring entry.
pub(crate) const RING_STATUS_MASK: u64 = 7;
/// An asynchronous chain ended on this atom with `EFAULT`.
pub(crate) const RING_FAULT: u64 = 1;
/// An asynchronous chain ended on this atom: its flags are invalid.
pub(crate) const RING_INVAL: u64 = 2;

/// Every flag this kernel knows.
pub(crate) const SYSLET_ALL_FLAGS: u32 = 0xff;

/// The flags of one atom, validated.
///
/// # Invariants
///
/// Only bits of [`SYSLET_ALL_FLAGS`] are set, and not both
/// [`SYSLET_ASYNC`] and [`SYSLET_SYNC`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct AtomFlags(u32);

/// The flags word of an atom is invalid (`EINVAL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct InvalidFlags;

impl AtomFlags {
    /// Validates the flags word of an atom.
    pub(crate) fn new(bits: u32) -> Result<Self, InvalidFlags> {
        if bits & !SYSLET_ALL_FLAGS != 0 {
            return Err(InvalidFlags);
        }
        if bits & (SYSLET_ASYNC | SYSLET_SYNC) == SYSLET_ASYNC | SYSLET_SYNC {
            return Err(InvalidFlags);
        }
        // INVARIANT: both conditions were checked above.
        Ok(Self(bits))
    }

    fn has(self, flag: u32) -> bool {
        self.0 & flag != 0
    }

    /// Whether a result of `ret` ends the chain (a "stop").
    pub(crate) fn stops_on(self, ret: i64) -> bool {
        (self.has(SYSLET_STOP_ON_NONZERO) && ret != 0)
            || (self.has(SYSLET_STOP_ON_ZERO) && ret == 0)
            || (self.has(SYSLET_STOP_ON_NEGATIVE) && ret < 0)
            || (self.has(SYSLET_STOP_ON_NON_POSITIVE) && ret <= 0)
    }

    /// Whether a stop continues at the atom that follows in memory.
    pub(crate) fn skip_to_next_on_stop(self) -> bool {
        self.has(SYSLET_SKIP_TO_NEXT_ON_STOP)
    }

    /// `SYSLET_ASYNC`: hand off before the first atom runs.
    pub(crate) fn hand_off_first(self) -> bool {
        self.has(SYSLET_ASYNC)
    }

    /// `SYSLET_SYNC`: the chain never hands off.
    pub(crate) fn never_hand_off(self) -> bool {
        self.has(SYSLET_SYNC)
    }

    /// `SYSLET_NO_COMPLETE`: not posted to the ring unless the chain ends
    /// at this atom.
    pub(crate) fn no_complete(self) -> bool {
        self.has(SYSLET_NO_COMPLETE)
    }
}
