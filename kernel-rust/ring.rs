// SPDX-License-Identifier: GPL-2.0

//! The completion ring: where a syslet that went asynchronous reports the
//! atoms it completed.
//!
//! Host-testable: user memory and the overflow storage go through the
//! [`RingMem`] and [`Overflow`] traits.
//!
//! The ring is an array of `u64` atom addresses in user memory.  The kernel
//! only turns a 0 slot into a non-zero one, in ring order; user space
//! consumes a slot by reading it and storing 0.  A completion whose slot is
//! still occupied waits in the overflow list and is posted, in order, as
//! soon as slots are free.  Each syslet in flight has at most one
//! completion in that list: its next one waits until there is room, which
//! bounds the list by the number of syslets in flight.

use crate::interp::Fault;
use core::num::NonZeroUsize;

/// User memory holding the ring's slots.
pub(crate) trait RingMem {
    /// Loads slot `slot`.
    fn load(&mut self, slot: usize) -> Result<u64, Fault>;
    /// Stores `val` into slot `slot`, ordered after earlier stores.
    fn store(&mut self, slot: usize, val: u64) -> Result<(), Fault>;
}

/// A completion that is not in the ring yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Pending {
    /// The user address of the completed atom.
    pub(crate) atom: u64,
    /// The syslet it belongs to (the kernel uses the task's address).
    pub(crate) owner: usize,
}

/// Bounded FIFO storage for the overflow list.
pub(crate) trait Overflow {
    /// Number of queued completions.
    fn len(&self) -> usize;
    /// The `i`-th oldest queued completion.
    fn get(&self, i: usize) -> Option<Pending>;
    /// Drops the oldest queued completion.
    fn pop_oldest(&mut self);
    /// Queues `p`; gives it back when the storage is full.
    fn push(&mut self, p: Pending) -> Result<(), Pending>;
}

/// Where [`Ring::post`] put a completion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Posted {
    /// In the ring.
    Ring,
    /// In the overflow list.
    Overflow,
    /// Nowhere: the syslet has a completion waiting already; try again
    /// once slots were freed.
    MustWait,
}

/// The kernel's side of one ring: its size and where the next completion
/// goes.
#[derive(Debug)]
pub(crate) struct Ring {
    nslots: NonZeroUsize,
    tail: usize,
}

impl Ring {
    /// A ring of `nslots` slots, filled from slot 0.
    pub(crate) fn new(nslots: NonZeroUsize) -> Self {
        Self { nslots, tail: 0 }
    }

    fn push_slot<M: RingMem>(&mut self, mem: &mut M, atom: u64) -> Result<bool, Fault> {
        if mem.load(self.tail)? != 0 {
            return Ok(false);
        }
        mem.store(self.tail, atom)?;
        // The tail stays below `nslots`: no overflow, no division by 0.
        self.tail = self.tail.wrapping_add(1) % self.nslots;
        Ok(true)
    }

    /// Moves queued completions into free slots, oldest first, and returns
    /// how many moved.
    pub(crate) fn flush<M: RingMem, Q: Overflow>(
        &mut self,
        mem: &mut M,
        q: &mut Q,
    ) -> Result<usize, Fault> {
        let mut moved = 0;
        while let Some(p) = q.get(0) {
            if !self.push_slot(mem, p.atom)? {
                break;
            }
            q.pop_oldest();
            moved += 1;
        }
        Ok(moved)
    }

    /// Posts the completion `p`, behind every completion already queued.
    pub(crate) fn post<M: RingMem, Q: Overflow>(
        &mut self,
        mem: &mut M,
        q: &mut Q,
        p: Pending,
    ) -> Result<Posted, Fault> {
        self.flush(mem, q)?;
        if q.len() == 0 && self.push_slot(mem, p.atom)? {
            return Ok(Posted::Ring);
        }
        if (0..q.len()).any(|i| q.get(i).is_some_and(|queued| queued.owner == p.owner)) {
            return Ok(Posted::MustWait);
        }
        Ok(match q.push(p) {
            Ok(()) => Posted::Overflow,
            Err(_) => Posted::MustWait,
        })
    }

    /// Completions user space has not consumed: the occupied slots before
    /// the tail (user space consumes in ring order) and the queued ones.
    pub(crate) fn available<M: RingMem, Q: Overflow>(
        &self,
        mem: &mut M,
        q: &Q,
    ) -> Result<usize, Fault> {
        let mut count = 0;
        let mut slot = self.tail;
        while count < self.nslots.get() {
            slot = slot.checked_sub(1).unwrap_or(self.nslots.get() - 1);
            if mem.load(slot)? == 0 {
                break;
            }
            count += 1;
        }
        Ok(count + q.len())
    }
}
