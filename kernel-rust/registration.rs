// SPDX-License-Identifier: GPL-2.0

//! A user thread's syslet registration: its completion ring, the overflow
//! list, and its pool of threads; `async_register()` and `async_wait()`.
//!
//! The registration belongs to the user thread that made it
//! (`task_struct::syslet` holds one reference) and moves with it when a
//! pool thread takes over.  Pool threads and syslets in flight hold their
//! own references, so a registration outlives its unregistering while old
//! syslets finish.
//!
//! Locking: `Registration::ring` is a mutex taken on its own; user memory
//! (the ring) is accessed under it, so it is never taken under `mmap_lock`.
//! The pool and the handoff state are atomics, see `pool.rs`.

use crate::interp::Fault;
use crate::pool::Pool;
use crate::ring::{Overflow, Pending, Posted, Ring, RingMem};
use kernel::{
    bindings, current,
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        new_condvar, new_mutex, Arc, ArcBorrow, CondVar, CondVarTimeoutResult, Mutex,
    },
    time::msecs_to_jiffies,
};

/// Largest ring: 8192 slots.
const MAX_RING_BYTES: u64 = 64 * 1024;
/// Pool threads of a registration that does not say.
const DEFAULT_THREADS: u64 = 4;
/// How often a syslet waiting for ring space looks for freed slots.
const ROOM_POLL_MS: u32 = 10;

/// The ring's user memory.
struct UserRing {
    base: u64,
}

impl UserRing {
    fn slot(&self, slot: usize) -> *mut u64 {
        (self.base + 8 * slot as u64) as usize as *mut u64
    }
}

impl RingMem for UserRing {
    fn load(&mut self, slot: usize) -> Result<u64, Fault> {
        let mut val = 0;
        // SAFETY: The slot is a user address, only accessed through
        // `get_user()`; `val` is a valid `u64`.
        match unsafe { bindings::syslet_ring_load(self.slot(slot), &mut val) } {
            0 => Ok(val),
            _ => Err(Fault),
        }
    }

    fn store(&mut self, slot: usize, val: u64) -> Result<(), Fault> {
        // SAFETY: The slot is a user address, only accessed through
        // `put_user()`.
        match unsafe { bindings::syslet_ring_store(self.slot(slot), val) } {
            0 => Ok(()),
            _ => Err(Fault),
        }
    }
}

/// The overflow list, its capacity reserved at registration.
struct OverflowList(KVec<Pending>);

impl Overflow for OverflowList {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn get(&self, i: usize) -> Option<Pending> {
        self.0.get(i).copied()
    }

    fn pop_oldest(&mut self) {
        let _ = self.0.remove(0);
    }

    fn push(&mut self, p: Pending) -> Result<(), Pending> {
        self.0.push_within_capacity(p).map_err(|err| err.0)
    }
}

struct RingState {
    ring: Ring,
    overflow: OverflowList,
}

/// One `async_register()`.
#[pin_data]
pub(crate) struct Registration {
    mem_base: u64,
    #[pin]
    ring: Mutex<RingState>,
    /// Notified when completions were posted or slots were freed.
    #[pin]
    posted: CondVar,
    /// `ring.overflow.len()`, readable without the lock.
    overflowed: Atomic<usize>,
    /// Syslets that went asynchronous and have not posted their end.
    in_flight: Atomic<i32>,
    pub(crate) pool: Pool,
}

impl Registration {
    fn new(head: &bindings::async_head_user) -> Result<Arc<Self>> {
        let bytes = head.ring_size_bytes;
        if head.completion_ring == 0
            || head.completion_ring % 8 != 0
            || bytes == 0
            || bytes % 8 != 0
            || bytes > MAX_RING_BYTES
            || head.reserved.iter().any(|&r| r != 0)
        {
            return Err(EINVAL);
        }
        // SAFETY: Reads an integer sysctl.
        let limit = u64::try_from(unsafe { bindings::syslet_thread_limit() }).unwrap_or(1);
        let threads = match head.max_nr_threads {
            0 => DEFAULT_THREADS.min(limit),
            n if n <= limit => n,
            _ => return Err(EINVAL),
        } as usize;
        let overflow = KVec::with_capacity(threads, GFP_KERNEL)?;
        let pool = Pool::new(threads)?;
        Arc::pin_init(
            try_pin_init!(Self {
                mem_base: head.completion_ring,
                ring <- new_mutex!(RingState {
                    ring: Ring::new((bytes / 8) as usize),
                    overflow: OverflowList(overflow),
                }, "Registration::ring"),
                posted <- new_condvar!("Registration::posted"),
                overflowed: Atomic::new(0),
                in_flight: Atomic::new(0),
                pool,
            }),
            GFP_KERNEL,
        )
    }

    fn mem(&self) -> UserRing {
        UserRing {
            base: self.mem_base,
        }
    }

    /// Posts queued completions whose slots were freed; cheap when none
    /// are queued.
    pub(crate) fn flush(&self) {
        if self.overflowed.load(Relaxed) == 0 {
            return;
        }
        let mut st = self.ring.lock();
        let RingState { ring, overflow } = &mut *st;
        if let Ok(moved) = ring.flush(&mut self.mem(), overflow) {
            if moved > 0 {
                self.overflowed.store(overflow.len(), Relaxed);
                self.posted.notify_all();
            }
        }
    }

    /// Posts the completion of `atom` for the syslet `owner`, waiting for
    /// room if that syslet has a completion queued already.  Gives up only
    /// on a fatal signal, or when the ring is no longer accessible.
    pub(crate) fn post(&self, atom: u64, owner: usize) {
        let p = Pending { atom, owner };
        let mut st = self.ring.lock();
        loop {
            let RingState { ring, overflow } = &mut *st;
            match ring.post(&mut self.mem(), overflow, p) {
                Ok(Posted::Ring) | Ok(Posted::Overflow) => {
                    self.overflowed.store(overflow.len(), Relaxed);
                    self.posted.notify_all();
                    return;
                }
                // The ring is gone: user space unmapped it.
                Err(Fault) => return,
                Ok(Posted::MustWait) => {}
            }
            if current!().fatal_signal_pending() {
                return;
            }
            let _: CondVarTimeoutResult = self
                .posted
                .wait_interruptible_timeout(&mut st, msecs_to_jiffies(ROOM_POLL_MS));
        }
    }

    /// A syslet went asynchronous.
    pub(crate) fn start_flight(&self) {
        self.in_flight.add(1, Relaxed);
    }

    /// Posts the atom an asynchronous syslet ended on (unless it was
    /// killed) and ends its flight.
    pub(crate) fn end_flight(&self, end: Option<u64>, owner: usize) {
        if let Some(atom) = end {
            self.post(atom, owner);
        }
        let _guard = self.ring.lock();
        self.in_flight.add(-1, Relaxed);
        self.posted.notify_all();
    }

    /// `async_wait()`: waits until `min_events` completions are available
    /// and returns how many are.  Returns early with what is there when no
    /// syslet is in flight: nothing more can arrive.
    fn wait(&self, min_events: u64) -> Result<usize> {
        let mut st = self.ring.lock();
        loop {
            let RingState { ring, overflow } = &mut *st;
            ring.flush(&mut self.mem(), overflow).map_err(|_| EFAULT)?;
            self.overflowed.store(overflow.len(), Relaxed);
            let n = ring
                .available(&mut self.mem(), overflow)
                .map_err(|_| EFAULT)?;
            if n as u64 >= min_events || self.in_flight.load(Relaxed) == 0 {
                return Ok(n);
            }
            if self.posted.wait_interruptible(&mut st) {
                return Err(EINTR);
            }
        }
    }
}

/// The registration of the current task, if any.
pub(crate) fn current_registration() -> Option<Arc<Registration>> {
    // SAFETY: `current` is a valid task; only the task itself changes its
    // own `syslet` field (a pool thread taking over changes the head's
    // while the head waits for it, see `pool.rs`).
    let reg = unsafe { (*current!().as_ptr()).syslet } as *const Registration;
    if reg.is_null() {
        return None;
    }
    // SAFETY: `task_struct::syslet` owns a reference to the registration,
    // which lives as long as the field points to it.
    Some(unsafe { ArcBorrow::from_raw(reg) }.into())
}

/// Replaces the current task's registration with `new`, and shuts down the
/// pool of the old one.
fn set_current_registration(new: Option<Arc<Registration>>) {
    let raw = new.map_or(core::ptr::null(), Arc::into_raw);
    let task = current!().as_ptr();
    // SAFETY: `current` is a valid task and only changes its own field
    // here; the field owns the reference it points to.
    let old = unsafe { core::mem::replace(&mut (*task).syslet, raw as *mut bindings::syslet_reg) };
    if !old.is_null() {
        // SAFETY: The field owned this reference, see above.
        let old = unsafe { Arc::from_raw(old as *const Registration) };
        old.pool.shut_down();
    }
}

/// `async_register()` with a valid `head`.
pub(crate) fn register(head: &bindings::async_head_user) -> Result {
    if let Some(old) = current_registration() {
        if old.in_flight.load(Relaxed) != 0 {
            return Err(EBUSY);
        }
    }
    let reg = Registration::new(head)?;
    reg.pool.fill(&reg)?;
    set_current_registration(Some(reg));
    Ok(())
}

/// `async_register(NULL)`: syslets in flight finish and still post.
pub(crate) fn unregister() -> Result {
    if current_registration().is_none() {
        return Err(EINVAL);
    }
    set_current_registration(None);
    Ok(())
}

/// `async_wait()`.
pub(crate) fn wait(min_events: u64) -> Result<usize> {
    current_registration().ok_or(EINVAL)?.wait(min_events)
}

/// A task with a registration exits or execs.
pub(crate) fn task_exit() {
    set_current_registration(None);
}
