// SPDX-License-Identifier: GPL-2.0

//! The pool of a registration: threads that wait in the kernel to take
//! over user space from a head whose atom blocked.
//!
//! A pool thread is a thread of the process made by
//! `create_syslet_thread()`: `PF_USER_WORKER`, all signals but `SIGKILL`
//! and `SIGSTOP` blocked.  It waits in one of the pool's slots.  When the
//! head's atom blocks, `sched_submit_work()` calls [`sleeping`], which
//! claims an idle slot and wakes its thread; nothing there sleeps,
//! allocates or takes a lock.  The woken thread waits for the head to be
//! off the CPU, commits, takes the head's user state over
//! (`syslet_take_over()`) and returns to user space as the head's thread.
//! The old head finishes the chain in the background and then waits in a
//! slot itself, so the pool keeps its size.
//!
//! Threads are created ahead of need: at `async_register()`, and topped up
//! at `async_exec()` if creating some failed.  With no idle thread, the
//! atom simply blocks in the caller.
//!
//! The handoff state of a registration (`Handoff::state`):
//!
//! ```text
//!   IDLE --head arms an atom--> ARMED --hook claims slot i--> CLAIMED(i)
//!   ARMED --atom returns--> IDLE                  (nothing blocked)
//!   CLAIMED(i) --atom returns--> IDLE             (head cancels)
//!   CLAIMED(i) --pool thread refuses--> ARMED     (state cannot move)
//!   CLAIMED(i) --pool thread commits--> TAKING(i) --takeover done--> IDLE
//! ```
//!
//! Only the head moves the state out of `ARMED` and `CLAIMED(i)` towards
//! `IDLE`, only the claimed thread moves it out of `CLAIMED(i)` towards
//! `TAKING(i)` or `ARMED`; `cmpxchg` decides between the two.  The head
//! learns the outcome of a commit from its own [`HeadCtx`], which lives
//! until the head saw the result.

use crate::registration::Registration;
use core::ptr::NonNull;
use kernel::{
    bindings, current,
    prelude::*,
    sync::{
        aref::ARef,
        atomic::{Acquire, Atomic, Full, Relaxed, Release},
        Arc,
    },
    task::Task,
};

const STATE_IDLE: i32 = 0;
const STATE_ARMED: i32 = 1;
const CLAIMED: i32 = 2;
const TAKING: i32 = 3;

fn claimed(slot: usize) -> i32 {
    CLAIMED | ((slot as i32) << 8)
}

fn taking(slot: usize) -> i32 {
    TAKING | ((slot as i32) << 8)
}

const SLOT_FREE: i32 = 0;
const SLOT_IDLE: i32 = 1;
const SLOT_CLAIMED: i32 = 2;
const SLOT_DEAD: i32 = 3;
const SLOT_RESERVED: i32 = 4;

/// How long `async_register()` waits for its new threads to be idle.
const FILL_WAIT_MS: u32 = 1000;

const RESULT_PENDING: i32 = 0;
const RESULT_TAKEN: i32 = 1;

// Task states, from `include/linux/sched.h`.
const TASK_INTERRUPTIBLE: u32 = bindings::TASK_INTERRUPTIBLE;
const TASK_UNINTERRUPTIBLE: u32 = bindings::TASK_UNINTERRUPTIBLE;

/// What a head shares with the pool thread that takes it over.
pub(crate) struct HeadCtx {
    /// `RESULT_TAKEN` once a pool thread took over.
    result: Atomic<i32>,
    /// The head sleeps waiting for a claim (`SYSLET_ASYNC`) and must be
    /// woken on a refusal.
    asked: Atomic<bool>,
}

impl HeadCtx {
    pub(crate) fn new() -> Self {
        Self {
            result: Atomic::new(RESULT_PENDING),
            asked: Atomic::new(false),
        }
    }
}

/// One place for an idle pool thread.
struct Slot {
    state: Atomic<i32>,
    /// The thread waiting here, while `SLOT_IDLE` or `SLOT_CLAIMED`.
    worker: Atomic<*mut bindings::task_struct>,
    /// While `SLOT_CLAIMED`: the head, with a reference held.
    head: Atomic<*mut bindings::task_struct>,
    /// While `SLOT_CLAIMED`: the head's context, only dereferenced after
    /// a successful commit (the head then waits for the result).
    ctx: Atomic<*mut HeadCtx>,
}

/// The threads of a registration and its handoff state.
pub(crate) struct Pool {
    slots: KVec<Slot>,
    nr_threads: Atomic<i32>,
    /// How many times a thread entered an idle slot.
    entered: Atomic<i32>,
    dead: Atomic<bool>,
    state: Atomic<i32>,
    head_ctx: Atomic<*mut HeadCtx>,
}

// SAFETY: The raw pointers are tasks and a head context, shared between
// threads of one process by the protocol described above.
unsafe impl Send for Pool {}
// SAFETY: As above; all fields are atomics.
unsafe impl Sync for Pool {}

/// How a pool thread's wait ended.
enum Outcome {
    TookOver,
    Exit,
}

/// How a claim ended for the pool thread.
enum Claim {
    TookOver,
    Declined,
}

fn wait_while(word: &Atomic<i32>, val: i32, state: u32) {
    // SAFETY: `word` is a valid `int` for the duration of the call.
    unsafe { bindings::syslet_wait_while(word.as_ptr(), val, state) };
}

impl Pool {
    pub(crate) fn new(threads: usize) -> Result<Self> {
        let mut slots = KVec::with_capacity(threads, GFP_KERNEL)?;
        for _ in 0..threads {
            slots.push(
                Slot {
                    state: Atomic::new(SLOT_FREE),
                    worker: Atomic::new(core::ptr::null_mut()),
                    head: Atomic::new(core::ptr::null_mut()),
                    ctx: Atomic::new(core::ptr::null_mut()),
                },
                GFP_KERNEL,
            )?;
        }
        Ok(Self {
            slots,
            nr_threads: Atomic::new(0),
            entered: Atomic::new(0),
            dead: Atomic::new(false),
            state: Atomic::new(STATE_IDLE),
            head_ctx: Atomic::new(core::ptr::null_mut()),
        })
    }

    fn max(&self) -> i32 {
        self.slots.len() as i32
    }

    /// Creates one pool thread of the calling process for `reg`.
    fn spawn(&self, reg: &Arc<Registration>) -> Result {
        if self.nr_threads.fetch_add(1, Full) >= self.max() {
            self.nr_threads.add(-1, Relaxed);
            return Err(EAGAIN);
        }
        let arg = Arc::into_raw(reg.clone()) as *mut c_void;
        // SAFETY: `worker_main` matches the prototype and takes over the
        // reference `arg` carries.
        let tsk = unsafe { bindings::syslet_start_thread(Some(worker_main), arg) };
        if let Err(err) = kernel::error::from_err_ptr(tsk) {
            self.nr_threads.add(-1, Relaxed);
            // SAFETY: No thread was created: the reference is still ours.
            drop(unsafe { Arc::from_raw(arg as *const Registration) });
            return Err(err);
        }
        Ok(())
    }

    /// Creates the pool threads of a new registration and waits (up to
    /// about a second) until they are idle, so that an atom that blocks
    /// right after `async_register()` finds them.  Fails only if not even
    /// one could be created (`RLIMIT_NPROC`: `EAGAIN`).
    pub(crate) fn fill(&self, reg: &Arc<Registration>) -> Result {
        self.spawn(reg)?;
        self.top_up(reg);
        let want = self.nr_threads.load(Relaxed);
        for _ in 0..FILL_WAIT_MS {
            if self.entered.load(Acquire) >= want {
                break;
            }
            // SAFETY: Sleeps in process context (a system call).
            unsafe { bindings::msleep(1) };
        }
        Ok(())
    }

    /// Creates the threads that are missing (earlier failures); cheap when
    /// none are.
    pub(crate) fn top_up(&self, reg: &Arc<Registration>) {
        while self.nr_threads.load(Relaxed) < self.max() && self.spawn(reg).is_ok() {}
    }

    /// Makes every pool thread exit once it is idle.
    pub(crate) fn shut_down(&self) {
        // Full barrier: pairs with the one in `enter()`.
        self.dead.xchg(true, Full);
        for slot in self.slots.iter() {
            if slot.state.cmpxchg(SLOT_IDLE, SLOT_DEAD, Full).is_ok() {
                // SAFETY: An idle slot's worker is alive: only the worker
                // itself leaves the slot, and it has not (the slot was idle).
                unsafe { bindings::wake_up_process(slot.worker.load(Relaxed)) };
            }
        }
    }

    fn is_dead(&self) -> bool {
        self.dead.load(Acquire)
    }

    /// The head arms its next atom: if it blocks, a pool thread may take
    /// over.  `ctx` must stay valid until [`Pool::settle`] returned.
    pub(crate) fn arm(&self, ctx: &HeadCtx) {
        ctx.result.store(RESULT_PENDING, Relaxed);
        self.head_ctx
            .store(ctx as *const HeadCtx as *mut HeadCtx, Relaxed);
        self.state.store(STATE_ARMED, Release);
    }

    /// Called from `sched_submit_work()` in the armed head `head`: offer
    /// the handoff to an idle pool thread.  No sleeping, no allocation, no
    /// lock.
    fn offer(&self, head: &Task) {
        if self.state.load(Relaxed) != STATE_ARMED {
            return;
        }
        for (i, slot) in self.slots.iter().enumerate() {
            if slot.state.cmpxchg(SLOT_IDLE, SLOT_CLAIMED, Full).is_err() {
                continue;
            }
            // The claimed thread puts this reference.
            let head = ARef::from(head);
            slot.head
                .store(ARef::into_raw(head).as_ptr().cast(), Relaxed);
            slot.ctx.store(self.head_ctx.load(Relaxed), Relaxed);
            self.state.store(claimed(i), Release);
            // SAFETY: A claimed slot's worker is alive: it leaves the slot
            // only after it handled the claim.
            unsafe { bindings::wake_up_process(slot.worker.load(Relaxed)) };
            return;
        }
    }

    /// The head asks for a handoff right away (`SYSLET_ASYNC`) and sleeps
    /// until a pool thread took over or refused.  The atom must be armed.
    pub(crate) fn hand_off_now(&self, ctx: &HeadCtx) {
        ctx.asked.store(true, Relaxed);
        let cur = current!();
        self.offer(cur);
        loop {
            let state = self.state.load(Acquire);
            if ctx.result.load(Acquire) == RESULT_TAKEN || state == STATE_ARMED {
                break;
            }
            if state & 0xff == CLAIMED {
                wait_while(&self.state, state, TASK_UNINTERRUPTIBLE);
            } else {
                wait_while(&ctx.result, RESULT_PENDING, TASK_UNINTERRUPTIBLE);
            }
        }
        ctx.asked.store(false, Relaxed);
    }

    /// The armed atom's system call returned: cancels a handoff that did
    /// not commit, or waits for one that did.  Returns true if a pool
    /// thread took over: the caller is then a worker finishing its chain.
    ///
    /// The state is loaded before the result: a pool thread that took over
    /// stores the result before it can arm an atom of its own, so a state
    /// armed by it is always seen together with the result.
    pub(crate) fn settle(&self, ctx: &HeadCtx) -> bool {
        loop {
            let state = self.state.load(Acquire);
            if ctx.result.load(Acquire) == RESULT_TAKEN {
                return true;
            }
            match state & 0xff {
                STATE_ARMED | CLAIMED => {
                    if self.state.cmpxchg(state, STATE_IDLE, Full).is_ok() {
                        return false;
                    }
                }
                // TAKING, or IDLE after the commit: the pool thread sets
                // the result and wakes us.
                _ => wait_while(&ctx.result, RESULT_PENDING, TASK_UNINTERRUPTIBLE),
            }
        }
    }

    /// Puts the calling pool thread (new, or an old head done with its
    /// chain) into a free slot.
    fn enter(&self, me: *mut bindings::task_struct) -> Option<usize> {
        for (i, slot) in self.slots.iter().enumerate() {
            if slot
                .state
                .cmpxchg(SLOT_FREE, SLOT_RESERVED, Relaxed)
                .is_ok()
            {
                slot.worker.store(me, Relaxed);
                // Full barrier: pairs with the one in `shut_down()`.
                slot.state.xchg(SLOT_IDLE, Full);
                self.entered.fetch_add(1, Release);
                if self.is_dead() {
                    if slot.state.cmpxchg(SLOT_IDLE, SLOT_DEAD, Full).is_ok() {
                        return None;
                    }
                    // Claimed meanwhile: handle the claim, then leave.
                }
                return Some(i);
            }
        }
        None
    }

    /// Handles the claim of slot `i` in its pool thread.
    fn take_claim(&self, i: usize) -> Claim {
        let slot = &self.slots[i];
        let head = slot.head.load(Relaxed);
        // SAFETY: The claim gave us a reference to the head.
        let head_ref = unsafe { ARef::from_raw(NonNull::new_unchecked(head.cast::<Task>())) };
        let want = claimed(i);
        // SAFETY: `head` is a valid task (we hold a reference) and the
        // state word a valid `int`.
        if !unsafe { bindings::syslet_wait_off_cpu(head, self.state.as_ptr(), want) } {
            return Claim::Declined;
        }
        let ctx = slot.ctx.load(Relaxed);
        let cur = current!();
        // SAFETY: `head` is a valid task of our process, off the CPU.
        let movable = !self.is_dead()
            && !cur.fatal_signal_pending()
            && unsafe { bindings::syslet_can_hand_off(head) };
        if !movable {
            if self.state.cmpxchg(want, STATE_ARMED, Full).is_ok() {
                // SAFETY: The head is still waiting for the outcome (the
                // state was still `CLAIMED`), so `ctx` is valid.
                if unsafe { (*ctx).asked.load(Relaxed) } {
                    head_ref.wake_up();
                }
            }
            return Claim::Declined;
        }
        if self.state.cmpxchg(want, taking(i), Full).is_err() {
            return Claim::Declined;
        }
        // Committed: the head waits for the result in `settle()` or
        // `hand_off_now()`, so `ctx` stays valid until we set it.
        // SAFETY: `head` is a valid, blocked task of our process for which
        // `syslet_can_hand_off()` holds.
        unsafe { bindings::syslet_take_over(head) };
        // SAFETY: The registration moved to us with the head's identity.
        let reg = unsafe { (*cur.as_ptr()).syslet } as *const Registration;
        // SAFETY: It is alive: our `syslet` field owns a reference.
        unsafe { (*reg).start_flight() };
        self.state.store(STATE_IDLE, Release);
        // SAFETY: See above; the head reads the result after waking.
        unsafe { (*ctx).result.store(RESULT_TAKEN, Release) };
        head_ref.wake_up();
        Claim::TookOver
    }

    /// Waits in the pool until taking over user space, or until the pool
    /// thread must exit.
    fn serve(&self) -> Outcome {
        let me = current!().as_ptr();
        let Some(i) = self.enter(me) else {
            return Outcome::Exit;
        };
        let slot = &self.slots[i];
        loop {
            // A shutdown that found the slot claimed did not mark it.
            if self.is_dead() && slot.state.cmpxchg(SLOT_IDLE, SLOT_FREE, Full).is_ok() {
                return Outcome::Exit;
            }
            wait_while(&slot.state, SLOT_IDLE, TASK_INTERRUPTIBLE);
            match slot.state.load(Acquire) {
                SLOT_CLAIMED => {
                    let claim = self.take_claim(i);
                    slot.head.store(core::ptr::null_mut(), Relaxed);
                    if let Claim::TookOver = claim {
                        slot.state.store(SLOT_FREE, Release);
                        return Outcome::TookOver;
                    }
                    // Full barrier: pairs with the one in `shut_down()`.
                    slot.state.xchg(SLOT_IDLE, Full);
                }
                SLOT_DEAD => {
                    slot.state.store(SLOT_FREE, Release);
                    return Outcome::Exit;
                }
                _ => {
                    // SAFETY: Handles our own pending signals.
                    let fatal = unsafe { bindings::syslet_worker_signal() };
                    if (fatal || current!().fatal_signal_pending())
                        && slot.state.cmpxchg(SLOT_IDLE, SLOT_FREE, Full).is_ok()
                    {
                        return Outcome::Exit;
                    }
                }
            }
        }
    }
}

/// Leaves the pool and exits the calling pool thread.
fn exit_pool(reg: Arc<Registration>) -> ! {
    reg.pool.nr_threads.add(-1, Relaxed);
    drop(reg);
    // SAFETY: A pool thread or an old head, in the kernel, with nothing
    // left to release.
    unsafe { bindings::syslet_worker_exit() }
}

/// Entry point of a new pool thread; returns only to take over user space.
///
/// # Safety
///
/// `arg` carries a reference to a [`Registration`] (see [`Pool::spawn`]).
unsafe extern "C" fn worker_main(arg: *mut c_void) -> c_int {
    // SAFETY: As the function's safety requirement says.
    let reg = unsafe { Arc::from_raw(arg as *const Registration) };
    match reg.pool.serve() {
        Outcome::TookOver => 0,
        Outcome::Exit => exit_pool(reg),
    }
}

/// An old head finished its chain: wait in the pool.  Returns when it took
/// over user space from another head, as that head's thread.
pub(crate) fn park(reg: Arc<Registration>) {
    match reg.pool.serve() {
        Outcome::TookOver => {}
        Outcome::Exit => exit_pool(reg),
    }
}

/// `sched_submit_work()`: the armed task `head` is about to sleep.
pub(crate) fn sleeping(head: &Task) {
    // SAFETY: `head` is current; its `syslet` field owns a reference to
    // the registration, alive while the field points to it.
    let reg = unsafe { (*head.as_ptr()).syslet } as *const Registration;
    if !reg.is_null() {
        // SAFETY: See above.
        unsafe { (*reg).pool.offer(head) };
    }
}
