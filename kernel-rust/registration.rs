// SPDX-License-Identifier: GPL-2.0

//! A user thread's syslet registration: its completion ring, the overflow
//! list, and its pool of threads; `async_register()` and `async_wait()`.
//!
//! The registration belongs to the user thread that made it
//! (`task_struct::syslet` holds one reference) and moves with it when a
//! pool thread takes over.  Pool threads and syslets in flight hold their
//! own references, so a registration outlives its unregistering while old
//! syslets finish.  An unregistered registration with syslets in flight
//! stays attached, closed, so that a new one is refused (`EBUSY`) until
//! they are done: they post only to their own ring.
//!
//! Locking: `Registration::ring` is a mutex taken on its own; user memory
//! (the ring) is accessed under it, so it is never taken under `mmap_lock`.
//! The pool and the handoff state are atomics, see `pool.rs`.

use crate::abi::RING_STATUS_MASK;
use crate::glue::{self, Deadline, EventFd, Tid};
use crate::interp::Fault;
use crate::pool::{Outcome, Pool};
use crate::ring::{Overflow, Pending, Posted, Ring, RingMem};
use core::num::NonZeroUsize;
use kernel::{
    bindings, current,
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        new_condvar, new_mutex, Arc, ArcBorrow, CondVar, CondVarTimeoutResult, Mutex, MutexGuard,
    },
    task::Task,
    time::msecs_to_jiffies,
    types::ForeignOwnable,
};

/// Largest ring: 8192 slots.
const MAX_RING_BYTES: u64 = 64 * 1024;
/// Pool threads of a registration that does not say.
const DEFAULT_THREADS: u64 = 4;
/// How long `async_register()` waits for its new threads to be idle.
const FILL_WAIT_MS: u32 = 1000;

/// The ring's user memory, validated at registration: every slot address
/// is a user address.  Counts the completions stored into it, and notes a
/// fault (which breaks the ring).
struct UserRing {
    base: u64,
    posts: usize,
    faulted: bool,
}

impl UserRing {
    fn slot(&self, slot: usize) -> Result<u64, Fault> {
        let off = (slot as u64).checked_mul(8).ok_or(Fault)?;
        self.base.checked_add(off).ok_or(Fault)
    }
}

impl RingMem for UserRing {
    fn load(&mut self, slot: usize) -> Result<u64, Fault> {
        let val = glue::ring_load(self.slot(slot)?);
        self.faulted |= val.is_none();
        val.ok_or(Fault)
    }

    fn store(&mut self, slot: usize, val: u64) -> Result<(), Fault> {
        let stored = glue::ring_store(self.slot(slot)?, val);
        self.faulted |= stored.is_none();
        stored.ok_or(Fault)?;
        // The ring only ever stores completions.
        self.posts += 1;
        Ok(())
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

/// What the ring mutex protects.
struct RingState {
    ring: Ring,
    overflow: OverflowList,
    /// The ring faulted: it reports `EFAULT` until replaced.
    broken: bool,
}

impl RingState {
    /// Posts `p`; on a fault the ring is broken and the completion dropped.
    fn post(&mut self, mem: &mut UserRing, p: Pending) -> Posted {
        if self.broken {
            return Posted::Ring;
        }
        match self.ring.post(mem, &mut self.overflow, p) {
            Ok(posted) => posted,
            Err(Fault) => {
                self.broken = true;
                Posted::Ring
            }
        }
    }

    /// Moves queued completions into free slots; returns how many moved.
    fn flush(&mut self, mem: &mut UserRing) -> Result<usize> {
        if self.broken {
            return Err(EFAULT);
        }
        self.ring
            .flush(mem, &mut self.overflow)
            .inspect_err(|_| self.broken = true)
            .map_err(|_| EFAULT)
    }
}

/// One `async_register()`.
#[pin_data]
pub(crate) struct Registration {
    mem_base: u64,
    #[pin]
    ring: Mutex<RingState>,
    /// Notified when completions were posted, slots were freed, a flight
    /// ended, or a pool thread entered its slot.
    #[pin]
    posted: CondVar,
    /// `ring.overflow.len()`, readable without the lock.
    overflowed: Atomic<usize>,
    /// Signalled once per completion posted to the ring.
    eventfd: Option<EventFd>,
    /// `async_register(NULL)` was called: no new syslets use it.
    closed: Atomic<bool>,
    /// Its thread exited or exec'd: nobody consumes the ring any more.
    orphaned: Atomic<bool>,
    /// Jiffies of the last failed pool thread creation (`top_up()` backs
    /// off for a second, so that `async_exec()` at `RLIMIT_NPROC` stays
    /// cheap).
    spawn_failed: Atomic<usize>,
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
            || head.flags & !bindings::ASYNC_HEAD_EVENTFD != 0
            || (head.flags & bindings::ASYNC_HEAD_EVENTFD == 0 && head.eventfd != 0)
        {
            return Err(EINVAL);
        }
        if !glue::ring_range_ok(head.completion_ring, bytes) {
            return Err(EFAULT);
        }
        let nslots = NonZeroUsize::new((bytes / 8) as usize).ok_or(EINVAL)?;
        let limit = glue::thread_limit();
        let threads = match head.max_nr_threads {
            0 => DEFAULT_THREADS.min(limit),
            n if n <= limit => n,
            _ => return Err(EINVAL),
        } as usize;
        let eventfd = match head.flags & bindings::ASYNC_HEAD_EVENTFD {
            0 => None,
            _ => Some(EventFd::get(head.eventfd)?),
        };
        let overflow = KVec::with_capacity(threads, GFP_KERNEL)?;
        let pool = Pool::new(threads)?;
        Arc::pin_init(
            try_pin_init!(Self {
                mem_base: head.completion_ring,
                ring <- new_mutex!(RingState {
                    ring: Ring::new(nslots),
                    overflow: OverflowList(overflow),
                    broken: false,
                }, "Registration::ring"),
                posted <- new_condvar!("Registration::posted"),
                overflowed: Atomic::new(0),
                eventfd,
                closed: Atomic::new(false),
                orphaned: Atomic::new(false),
                spawn_failed: Atomic::new(0),
                pool,
            }),
            GFP_KERNEL,
        )
    }

    fn mem(&self) -> UserRing {
        UserRing {
            base: self.mem_base,
            posts: 0,
            faulted: false,
        }
    }

    /// Tells the eventfd about the completions `mem` posted, and once more
    /// if accessing it faulted: the ring is broken from now on, and an
    /// event loop that only polls the eventfd must hear of it (its next
    /// `async_wait()` fails with `EFAULT`).
    fn signal(&self, mem: &UserRing) {
        if let Some(eventfd) = &self.eventfd {
            for _ in 0..mem.posts + usize::from(mem.faulted) {
                eventfd.signal();
            }
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Relaxed)
    }

    /// Syslets in flight, or completions queued for the ring: dropping the
    /// registration now would lose completions.
    fn is_busy(&self) -> bool {
        self.pool.in_flight.load(Relaxed) != 0 || self.overflowed.load(Relaxed) != 0
    }

    /// Posts queued completions whose slots were freed; cheap when none
    /// are queued.
    pub(crate) fn flush(&self) {
        if self.overflowed.load(Relaxed) == 0 {
            return;
        }
        let mut st = self.ring.lock();
        let mut mem = self.mem();
        let flushed = st.flush(&mut mem);
        self.signal(&mem);
        if let Ok(moved) = flushed {
            if moved > 0 {
                self.overflowed.store(st.overflow.len(), Relaxed);
                self.posted.notify_all();
            }
        }
    }

    /// Posts the ring entry `entry` (an atom address and status bits) of
    /// the syslet `owner` under the ring lock, waiting for room if that
    /// syslet has a completion queued already.  Gives up only when the
    /// process exits.  Called by old heads only: while waiting they take
    /// part in stops and freezing like any pool thread.
    fn post_locked<'a>(
        &'a self,
        mut st: MutexGuard<'a, RingState>,
        entry: u64,
        owner: usize,
    ) -> Option<MutexGuard<'a, RingState>> {
        let p = Pending { atom: entry, owner };
        loop {
            let mut mem = self.mem();
            let posted = st.post(&mut mem, p);
            self.signal(&mem);
            if posted != Posted::MustWait {
                glue::posted(entry);
                self.overflowed.store(st.overflow.len(), Relaxed);
                self.posted.notify_all();
                return Some(st);
            }
            if current!().signal_pending() {
                drop(st);
                if glue::worker_signal() || glue::group_exiting() {
                    return None;
                }
                st = self.ring.lock();
                continue;
            }
            if glue::group_exiting() || self.orphaned.load(Relaxed) {
                return None;
            }
            // Woken by `flush()` (async_exec(), async_wait()) once user
            // space freed slots, or by a signal.
            let _ = self.posted.wait_interruptible(&mut st);
        }
    }

    /// Posts the completion of `atom` for the syslet `owner`.  Returns
    /// false if it gave up because the process exits (or a fatal signal was
    /// dequeued meanwhile) or nobody consumes the ring any more.
    pub(crate) fn post(&self, atom: u64, owner: usize) -> bool {
        self.post_locked(self.ring.lock(), atom, owner).is_some()
    }

    /// Posts the entry an asynchronous syslet ended on (unless it was
    /// killed) and ends its flight, in one critical section.
    pub(crate) fn end_flight(&self, end: Option<u64>, owner: usize) {
        let st = self.ring.lock();
        let st = match end {
            Some(entry) => self.post_locked(st, entry, owner),
            None => Some(st),
        };
        let _guard = st.unwrap_or_else(|| self.ring.lock());
        self.pool.in_flight.add(-1, Relaxed);
        self.posted.notify_all();
    }

    /// `async_wait()`: waits until `min_events` completions are available
    /// and returns how many are.  Returns early with what is there when no
    /// syslet is in flight: nothing more can arrive.  `ETIME` when
    /// `deadline` passes first; never before it.
    fn wait(&self, min_events: u64, deadline: Deadline) -> Result<usize> {
        let mut st = self.ring.lock();
        loop {
            let mut mem = self.mem();
            let flushed = st.flush(&mut mem);
            self.signal(&mem);
            flushed?;
            self.overflowed.store(st.overflow.len(), Relaxed);
            // Whoever waits for room may post now.
            self.posted.notify_all();
            let RingState { ring, overflow, .. } = &mut *st;
            let mut mem = self.mem();
            let n = match ring.available(&mut mem, overflow) {
                Ok(n) => n,
                Err(Fault) => {
                    st.broken = true;
                    self.signal(&mem);
                    return Err(EFAULT);
                }
            };
            if n as u64 >= min_events || self.pool.in_flight.load(Relaxed) == 0 {
                return Ok(n);
            }
            let left = glue::deadline_jiffies(deadline);
            if left == 0 {
                return Err(ETIME);
            }
            // A timeout or a wakeup: look again (an early timeout sleeps
            // again for the rest).  Without a timeout, a wakeup that
            // delivers no signal to a handler (a stop, task work) restarts
            // the call; with one it ends it, as for epoll_wait(), since a
            // restart would start the interval anew.
            if let CondVarTimeoutResult::Signal { .. } =
                self.posted.wait_interruptible_timeout(&mut st, left as _)
            {
                return Err(if deadline.is_none() {
                    ERESTARTNOHAND
                } else {
                    EINTR
                });
            }
        }
    }

    /// Creates one pool thread of the calling process.
    fn spawn(self: &Arc<Self>) -> Result {
        if !self.pool.reserve_thread() {
            return Err(EAGAIN);
        }
        glue::start_thread(worker_main, self.clone()).map_err(|(err, _reg)| {
            self.pool.release_thread();
            err
        })
    }

    /// Creates the pool threads of a new registration and waits (up to
    /// about a second) until they are idle, so that an atom that blocks
    /// right after `async_register()` finds them.  Fails only if not even
    /// one could be created (`RLIMIT_NPROC`: `EAGAIN`).
    fn fill(self: &Arc<Self>) -> Result {
        self.spawn()?;
        self.top_up();
        let want = self.pool.nr_threads();
        let mut left = msecs_to_jiffies(FILL_WAIT_MS);
        let mut st = self.ring.lock();
        while self.pool.entered() < want {
            match self.posted.wait_interruptible_timeout(&mut st, left) {
                CondVarTimeoutResult::Woken { jiffies } => left = jiffies,
                CondVarTimeoutResult::Timeout | CondVarTimeoutResult::Signal { .. } => break,
            }
        }
        Ok(())
    }

    /// Creates the threads that are missing (earlier failures); cheap when
    /// none are.
    pub(crate) fn top_up(self: &Arc<Self>) {
        if !self.pool.wants_threads() {
            return;
        }
        let failed = self.spawn_failed.load(Relaxed);
        let now = glue::jiffies();
        if failed != 0 && now.wrapping_sub(failed) < msecs_to_jiffies(1000) as usize {
            return;
        }
        while self.pool.wants_threads() {
            if self.spawn().is_err() {
                self.spawn_failed.store(now | 1, Relaxed);
                return;
            }
        }
    }

    /// Waits in the pool: see [`Pool::serve`].
    fn serve(&self, tid: Option<Tid>) -> Outcome {
        self.pool.serve(tid, || {
            // Under the lock, so that `fill()` cannot miss it.
            let _guard = self.ring.lock();
            self.posted.notify_all();
        })
    }
}

/// Leaves the pool and exits the calling pool thread.
fn exit_pool(reg: Arc<Registration>) -> ! {
    reg.pool.release_thread();
    drop(reg);
    glue::worker_exit()
}

/// Entry point of a new pool thread; returns only to take over user space.
///
/// # Safety
///
/// `arg` carries a reference to a [`Registration`] (see
/// [`Registration::spawn`]).
unsafe extern "C" fn worker_main(arg: *mut c_void) -> c_int {
    // SAFETY: As the function's safety requirement says.
    let reg = unsafe { Arc::<Registration>::from_foreign(arg) };
    match reg.serve(None) {
        Outcome::TookOver => 0,
        Outcome::Exit => exit_pool(reg),
    }
}

/// An old head finished its chain: wait in the pool.  Returns when it took
/// over user space from another head, as that head's thread.  `tid` is the
/// TID it had, for the last forwarding of late signals.
pub(crate) fn park(reg: Arc<Registration>, tid: Option<Tid>) {
    glue::worker_run_work();
    match reg.serve(tid) {
        Outcome::TookOver => {}
        Outcome::Exit => exit_pool(reg),
    }
}

/// The registration that `task`'s `syslet` field owns, if any.
///
/// # Safety
///
/// `task` is the current task, or a head that waits for the current task
/// to take it over; the field is only changed by those two.  The result
/// must not outlive that.
unsafe fn task_registration<'a>(task: &Task) -> Option<ArcBorrow<'a, Registration>> {
    // SAFETY: `task` is valid; see the function's safety requirement.  A
    // pool thread taking `task` over writes the field (`WRITE_ONCE()`) while
    // `task` may run: read it once, like `READ_ONCE()`.
    let ptr =
        unsafe { core::ptr::addr_of!((*task.as_ptr()).syslet).read_volatile() }.cast::<c_void>();
    if ptr.is_null() {
        return None;
    }
    // SAFETY: A non-NULL field holds a reference from `into_foreign()`,
    // alive while the field points to it.
    Some(unsafe { <Arc<Registration> as ForeignOwnable>::borrow(ptr) })
}

/// The registration attached to the current task, open or closed.
pub(crate) fn attached_registration() -> Option<Arc<Registration>> {
    // SAFETY: `current` is the current task.
    unsafe { task_registration(current!()) }.map(Into::into)
}

/// The open registration of the current task, if any.
pub(crate) fn current_registration() -> Option<Arc<Registration>> {
    attached_registration().filter(|reg| !reg.is_closed())
}

/// Replaces the current task's registration with `new`, and shuts down the
/// pool of the old one.
fn set_current_registration(new: Option<Arc<Registration>>) {
    let raw = new.map_or(core::ptr::null_mut(), ForeignOwnable::into_foreign);
    let task = current!().as_ptr();
    // SAFETY: `current` is a valid task and only changes its own field
    // here; the field owns the reference it points to.
    let old = unsafe { core::mem::replace(&mut (*task).syslet, raw.cast()) };
    // SAFETY: The field owned this reference (or was NULL).
    if let Some(old) = unsafe { Arc::<Registration>::try_from_foreign(old.cast()) } {
        old.pool.shut_down();
    }
}

/// `async_register()` with a valid `head`.
pub(crate) fn register(head: &bindings::async_head_user) -> Result {
    if let Some(old) = attached_registration() {
        old.flush();
        if old.is_busy() {
            return Err(EBUSY);
        }
    }
    let reg = Registration::new(head)?;
    reg.fill()?;
    set_current_registration(Some(reg));
    Ok(())
}

/// `async_register(NULL)`: syslets in flight finish and still post to
/// their ring, which `async_exec()` and `async_wait()` still flush; until
/// they are done, a new registration gets `EBUSY`.
pub(crate) fn unregister() -> Result {
    let reg = current_registration().ok_or(EINVAL)?;
    reg.closed.store(true, Relaxed);
    reg.pool.shut_down();
    reg.flush();
    if !reg.is_busy() {
        set_current_registration(None);
    }
    Ok(())
}

/// `async_wait()`.  After `async_register(NULL)` it still serves the old
/// ring while syslets of it are in flight.
pub(crate) fn wait(min_events: u64, deadline: Deadline) -> Result<usize> {
    let reg = attached_registration().ok_or(EINVAL)?;
    if reg.is_closed() {
        reg.flush();
        if !reg.is_busy() {
            return Err(EINVAL);
        }
    }
    reg.wait(min_events, deadline)
}

/// A task with a registration exits or execs: its syslets in flight finish,
/// but nobody will make room in the ring for them any more.
pub(crate) fn task_exit() {
    if let Some(reg) = attached_registration() {
        reg.orphaned.store(true, Relaxed);
        let _guard = reg.ring.lock();
        reg.posted.notify_all();
    }
    set_current_registration(None);
}

/// `sched_submit_work()`: the task `head` (current), which armed an
/// atom, is about to sleep.
pub(crate) fn sleeping(head: &Task) {
    // SAFETY: `head` is current.  A pool thread taking `head` over may move
    // the field's reference away meanwhile, but the `async_exec()` that
    // armed the atom holds a reference of its own until the atom settled,
    // and the borrow ends before that.
    if let Some(reg) = unsafe { task_registration(head) } {
        reg.pool.offer(head);
    }
}

/// The status bits of a ring entry must not clobber an atom address.
const _: () = assert!(RING_STATUS_MASK < 8);
