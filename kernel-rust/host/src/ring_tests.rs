// SPDX-License-Identifier: GPL-2.0

//! Tests of `ring.rs`: a mock ring in memory, a consumer that follows the
//! ring rules, and random interleavings checked against a model.

use crate::interp::Fault;
use crate::ring::{Overflow, Pending, Posted, Ring, RingMem};
use std::num::NonZeroUsize;

fn new_ring(nslots: usize) -> Ring {
    Ring::new(NonZeroUsize::new(nslots).expect("a ring has slots"))
}
use std::collections::VecDeque;

/// Ring memory that fails the test on any overwrite of an occupied slot.
struct MockRing {
    slots: Vec<u64>,
    /// Slots from this index on fault.
    fault_from: usize,
}

impl MockRing {
    fn new(n: usize) -> Self {
        Self {
            slots: vec![0; n],
            fault_from: n,
        }
    }
}

impl RingMem for MockRing {
    fn load(&mut self, slot: usize) -> Result<u64, Fault> {
        if slot >= self.fault_from {
            return Err(Fault);
        }
        Ok(self.slots[slot])
    }

    fn store(&mut self, slot: usize, val: u64) -> Result<(), Fault> {
        if slot >= self.fault_from {
            return Err(Fault);
        }
        assert_eq!(self.slots[slot], 0, "slot {slot} overwritten");
        assert_ne!(val, 0);
        self.slots[slot] = val;
        Ok(())
    }
}

/// Overflow storage with a fixed capacity, like the kernel's.
struct Queue {
    q: VecDeque<Pending>,
    cap: usize,
}

impl Queue {
    fn new(cap: usize) -> Self {
        Self {
            q: VecDeque::new(),
            cap,
        }
    }
}

impl Overflow for Queue {
    fn len(&self) -> usize {
        self.q.len()
    }
    fn get(&self, i: usize) -> Option<Pending> {
        self.q.get(i).copied()
    }
    fn pop_oldest(&mut self) {
        self.q.pop_front();
    }
    fn push(&mut self, p: Pending) -> Result<(), Pending> {
        if self.q.len() == self.cap {
            return Err(p);
        }
        self.q.push_back(p);
        Ok(())
    }
}

fn p(atom: u64, owner: usize) -> Pending {
    Pending { atom, owner }
}

/// User space: consumes slots in ring order.
struct Consumer {
    head: usize,
}

impl Consumer {
    fn take(&mut self, mem: &mut MockRing) -> Option<u64> {
        let v = mem.slots[self.head];
        if v == 0 {
            return None;
        }
        mem.slots[self.head] = 0;
        self.head = (self.head + 1) % mem.slots.len();
        Some(v)
    }
}

#[test]
fn posts_fill_the_ring_in_order_and_wrap() {
    let mut mem = MockRing::new(3);
    let mut q = Queue::new(4);
    let mut ring = new_ring(3);
    let mut c = Consumer { head: 0 };
    for a in 1..=3 {
        assert_eq!(ring.post(&mut mem, &mut q, p(a, 1)), Ok(Posted::Ring));
    }
    assert_eq!(ring.available(&mut mem, &q), Ok(3));
    assert_eq!(c.take(&mut mem), Some(1));
    assert_eq!(ring.post(&mut mem, &mut q, p(4, 1)), Ok(Posted::Ring));
    assert_eq!(mem.slots, vec![4, 2, 3]);
    assert_eq!(ring.available(&mut mem, &q), Ok(3));
    for want in 2..=4 {
        assert_eq!(c.take(&mut mem), Some(want));
    }
    assert_eq!(ring.available(&mut mem, &q), Ok(0));
}

#[test]
fn a_full_ring_queues_one_completion_per_owner() {
    let mut mem = MockRing::new(1);
    let mut q = Queue::new(8);
    let mut ring = new_ring(1);
    assert_eq!(ring.post(&mut mem, &mut q, p(10, 1)), Ok(Posted::Ring));
    assert_eq!(ring.post(&mut mem, &mut q, p(11, 1)), Ok(Posted::Overflow));
    // The same owner must wait; another owner may queue.
    assert_eq!(ring.post(&mut mem, &mut q, p(12, 1)), Ok(Posted::MustWait));
    assert_eq!(ring.post(&mut mem, &mut q, p(20, 2)), Ok(Posted::Overflow));
    assert_eq!(ring.available(&mut mem, &q), Ok(3));
    assert_eq!(mem.slots, vec![10]);
    // Freed slots take the queued completions in order.
    mem.slots[0] = 0;
    assert_eq!(ring.flush(&mut mem, &mut q), Ok(1));
    assert_eq!(mem.slots, vec![11]);
    mem.slots[0] = 0;
    assert_eq!(ring.post(&mut mem, &mut q, p(12, 1)), Ok(Posted::Overflow));
    assert_eq!(mem.slots, vec![20]);
}

#[test]
fn a_new_completion_never_overtakes_queued_ones() {
    let mut mem = MockRing::new(2);
    let mut q = Queue::new(8);
    let mut ring = new_ring(2);
    ring.post(&mut mem, &mut q, p(1, 1)).unwrap();
    ring.post(&mut mem, &mut q, p(2, 2)).unwrap();
    assert_eq!(ring.post(&mut mem, &mut q, p(3, 3)), Ok(Posted::Overflow));
    assert_eq!(ring.post(&mut mem, &mut q, p(4, 4)), Ok(Posted::Overflow));
    // One slot frees up: 3 goes first, 4 stays queued, 5 queues behind.
    mem.slots[0] = 0;
    assert_eq!(ring.post(&mut mem, &mut q, p(5, 5)), Ok(Posted::Overflow));
    assert_eq!(mem.slots, vec![3, 2]);
    assert_eq!(q.len(), 2);
}

#[test]
fn full_overflow_storage_means_wait() {
    let mut mem = MockRing::new(1);
    let mut q = Queue::new(1);
    let mut ring = new_ring(1);
    ring.post(&mut mem, &mut q, p(1, 1)).unwrap();
    assert_eq!(ring.post(&mut mem, &mut q, p(2, 2)), Ok(Posted::Overflow));
    assert_eq!(ring.post(&mut mem, &mut q, p(3, 3)), Ok(Posted::MustWait));
}

#[test]
fn a_faulting_ring_reports_fault() {
    let mut mem = MockRing::new(2);
    mem.fault_from = 0;
    let mut q = Queue::new(2);
    let mut ring = new_ring(2);
    assert_eq!(ring.post(&mut mem, &mut q, p(1, 1)), Err(Fault));
    assert_eq!(ring.available(&mut mem, &q), Err(Fault));
}

/// Small deterministic generator (xorshift), as in `interp_tests.rs`.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Random producers (owners that may only post again once their previous
/// completion left the overflow list, as the kernel's `post()` waits) and
/// a random consumer: nothing is lost, duplicated, reordered or
/// overwritten, and the overflow list stays bounded by the owners.
#[test]
fn random_interleavings_keep_every_completion_once_in_order() {
    for seed in 1..=300u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let nslots = 1 + rng.below(5) as usize;
        let owners = 1 + rng.below(6) as usize;
        let mut mem = MockRing::new(nslots);
        let mut q = Queue::new(owners);
        let mut ring = new_ring(nslots);
        let mut c = Consumer { head: 0 };
        let mut posted = Vec::new();
        let mut consumed = Vec::new();
        let mut next_atom = 1u64;
        let mut waiting: Vec<Option<u64>> = vec![None; owners];
        for _ in 0..400 {
            match rng.below(3) {
                0 | 1 => {
                    let owner = rng.below(owners as u64) as usize;
                    let atom = waiting[owner].unwrap_or_else(|| {
                        next_atom += 1;
                        next_atom
                    });
                    match ring.post(&mut mem, &mut q, p(atom, owner)).unwrap() {
                        Posted::Ring | Posted::Overflow => {
                            posted.push(atom);
                            waiting[owner] = None;
                        }
                        Posted::MustWait => waiting[owner] = Some(atom),
                    }
                }
                _ => {
                    if let Some(v) = c.take(&mut mem) {
                        consumed.push(v);
                    }
                }
            }
            assert!(q.len() <= owners);
            let avail = ring.available(&mut mem, &q).unwrap();
            assert_eq!(avail, posted.len() - consumed.len(), "seed {seed}");
        }
        // Drain: flush (async_wait) and consume until empty.
        loop {
            ring.flush(&mut mem, &mut q).unwrap();
            match c.take(&mut mem) {
                Some(v) => consumed.push(v),
                None => break,
            }
        }
        assert_eq!(q.len(), 0);
        assert_eq!(consumed, posted, "seed {seed}");
    }
}
