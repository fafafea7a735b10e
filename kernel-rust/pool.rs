// SPDX-License-Identifier: GPL-2.0

//! The pool of a registration: threads that wait in the kernel to take
//! over user space from a head whose atom blocked, and the handoff state
//! machine between the head and them.
//!
//! A pool thread is a thread of the process made by
//! `create_syslet_thread()`: `PF_USER_WORKER`, all signals but `SIGKILL`
//! and `SIGSTOP` blocked.  It waits in one of the pool's slots.  When the
//! head's armed atom blocks, `sched_submit_work()` calls [`Pool::offer`],
//! which claims an idle slot and wakes its thread; nothing there sleeps,
//! allocates or takes a lock.  The woken thread waits for the head to be
//! off the CPU, commits, takes the head's user state over and returns to
//! user space as the head's thread.  The old head finishes the chain in the
//! background and then waits in a slot itself, so the pool keeps its size.
//!
//! The handoff state of a registration ([`Handoff`], in `Pool::state`; each
//! arming starts a new generation of it):
//!
//! ```text
//!   Idle --head arms an atom--> Armed --head's offer claims slot i--> Claimed(i)
//!   Armed --atom returns--> Idle                      (nothing blocked)
//!   Claimed(i) --atom returns, or a signal--> Idle/Armed  (head cancels)
//!   Claimed(i) --pool thread refuses--> Armed         (state cannot move)
//!   Claimed(i) --pool thread commits--> Taking(i) --takeover done--> Idle
//! ```
//!
//! Only the head moves the state out of `Armed` and `Claimed(i)` towards
//! `Idle`, only the claimed thread moves it out of `Claimed(i)` towards
//! `Taking(i)` or `Armed`; `cmpxchg` decides between the two.  An armed
//! state belongs to the task in `Pool::owner`: an old head still inside
//! the system call it was taken over in can sleep again, but its offers
//! find another owner and do nothing.  The head learns the outcome of a
//! commit from its own [`HeadCtx`], which lives until the head saw it.
//!
//! A slot ([`SlotState`]) belongs to one thread from `Entering` to `Free`:
//!
//! ```text
//!   Free --thread enters--> Entering --> Idle --offer--> Offering --> Claimed
//!   Claimed --thread declines--> Idle       Claimed --thread took over--> Free
//!   Idle --shut_down()--> Dead --thread sees it--> Free
//!   Idle --thread is killed, or the pool is dead--> Free
//! ```
//!
//! The thread leaves only from `Idle` (by itself, with `cmpxchg`), from
//! `Dead` and after a claim: whoever moved the slot out of `Idle` may wake
//! its thread, under RCU, since the thread is alive at that moment.

use crate::glue::{self, Sleep, Tid};
use core::{cell::UnsafeCell, ptr::NonNull};
use kernel::{
    bindings, current,
    prelude::*,
    sync::{
        aref::ARef,
        atomic::{Acquire, Atomic, Full, Relaxed, Release},
        rcu,
    },
    task::Task,
};

/// Where the handoff of an armed atom is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// No atom is armed.
    Idle,
    /// The owner's atom may hand off if it blocks.
    Armed,
    /// The thread of slot `i` was offered the handoff.
    Claimed(usize),
    /// The thread of slot `i` committed and is taking over.
    Taking(usize),
}

/// The handoff state of a registration: a phase, and the generation of the
/// arming it belongs to.  Every arming starts a new generation, so that a
/// `cmpxchg` with a state word loaded before the state went round (the
/// same slot claimed again for a later atom) fails instead of succeeding
/// on a look-alike (ABA).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Handoff {
    phase: Phase,
    gen: u32,
}

impl Handoff {
    fn encode(self) -> i64 {
        // Slot indices are below `kernel.syslet_max_threads` (at most 1024).
        let (tag, slot) = match self.phase {
            Phase::Idle => (0, 0),
            Phase::Armed => (1, 0),
            Phase::Claimed(i) => (2, i as i64),
            Phase::Taking(i) => (3, i as i64),
        };
        (i64::from(self.gen) << 32) | (slot << 8) | tag
    }

    fn decode(raw: i64) -> Self {
        let i = ((raw >> 8) & 0xff_ffff) as usize;
        let phase = match raw & 0xff {
            0 => Phase::Idle,
            1 => Phase::Armed,
            2 => Phase::Claimed(i),
            _ => Phase::Taking(i),
        };
        Self {
            phase,
            gen: (raw >> 32) as u32,
        }
    }

    /// The same generation in phase `phase`.
    fn to(self, phase: Phase) -> i64 {
        Self { phase, ..self }.encode()
    }
}

/// The state of one slot of the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
enum SlotState {
    /// No thread.
    Free = 0,
    /// A thread is entering.
    Entering = 1,
    /// A thread waits here for a claim.
    Idle = 2,
    /// A head is publishing its claim.
    Offering = 3,
    /// A head claimed the thread: `Slot::head` and `Slot::ctx` are set.
    Claimed = 4,
    /// The pool shut down: the thread must exit.
    Dead = 5,
}

impl SlotState {
    fn decode(raw: i32) -> Self {
        match raw {
            0 => SlotState::Free,
            1 => SlotState::Entering,
            2 => SlotState::Idle,
            3 => SlotState::Offering,
            4 => SlotState::Claimed,
            _ => SlotState::Dead,
        }
    }
}

/// How often (jiffies) an old head in the pool checks whether it may
/// forward late signals a last time.
const FORWARD_POLL: c_long = 2;

const RESULT_PENDING: i32 = 0;
const RESULT_TAKEN: i32 = 1;

/// What a head shares with the pool thread that takes it over.
pub(crate) struct HeadCtx {
    /// `RESULT_TAKEN` once a pool thread took over.
    result: Atomic<i32>,
    /// The head sleeps waiting for a claim (`SYSLET_ASYNC`) and must be
    /// woken on a refusal.
    asked: Atomic<bool>,
    /// Written once by the committed pool thread before it publishes
    /// `RESULT_TAKEN`, read by the head after it saw that.
    tid: UnsafeCell<Option<Tid>>,
}

// SAFETY: `tid` is written by one pool thread before a release store of
// `result` and read by the head only after an acquire load saw that store;
// the other fields are atomics.
unsafe impl Sync for HeadCtx {}

impl HeadCtx {
    pub(crate) fn new() -> Self {
        Self {
            result: Atomic::new(RESULT_PENDING),
            asked: Atomic::new(false),
            tid: UnsafeCell::new(None),
        }
    }

    fn taken(&self) -> bool {
        self.result.load(Acquire) == RESULT_TAKEN
    }

    /// After [`Pool::settle`] returned true: the TID the head had, to
    /// forward the signals that still reach it.
    pub(crate) fn take_tid(&self) -> Option<Tid> {
        if !self.taken() {
            return None;
        }
        // SAFETY: The pool thread wrote `tid` before `result`, which we saw
        // (acquire); nobody writes it again.
        unsafe { (*self.tid.get()).take() }
    }
}

/// One place for an idle pool thread.
struct Slot {
    state: Atomic<i32>,
    /// The thread waiting here, from `Entering` until it leaves.
    worker: Atomic<*mut bindings::task_struct>,
    /// While `Claimed`: the head, with a reference the claimed thread owns.
    head: Atomic<*mut bindings::task_struct>,
    /// While `Claimed`: the head's context, only dereferenced after a
    /// successful commit (the head then waits for the result).
    ctx: Atomic<*mut HeadCtx>,
    /// While `Claimed`: the head waits for the outcome (`SYSLET_ASYNC`).
    asked: Atomic<bool>,
    /// While `Claimed`: the `Pool::state` word of the claim.
    claim: Atomic<i64>,
}

/// How a pool thread's wait ended.
pub(crate) enum Outcome {
    /// It took over user space: it returns there as the head's thread.
    TookOver,
    /// It must exit.
    Exit,
}

/// The threads of a registration and its handoff state.
pub(crate) struct Pool {
    slots: KVec<Slot>,
    nr_threads: Atomic<i32>,
    /// How many times a thread entered a slot.
    entered: Atomic<i32>,
    dead: Atomic<bool>,
    state: Atomic<i64>,
    /// The task whose atom is armed: an identity, never dereferenced.
    owner: Atomic<usize>,
    head_ctx: Atomic<*mut HeadCtx>,
    /// Syslets that went asynchronous and have not ended their flight.
    pub(crate) in_flight: Atomic<i32>,
}

// SAFETY: The raw pointers are tasks and a head context, shared between
// threads of one process by the protocol described at the top of the file;
// every field is an atomic or immutable after creation.
unsafe impl Send for Pool {}
// SAFETY: As above.
unsafe impl Sync for Pool {}

impl Pool {
    pub(crate) fn new(threads: usize) -> Result<Self> {
        let mut slots = KVec::with_capacity(threads, GFP_KERNEL)?;
        for _ in 0..threads {
            slots.push(
                Slot {
                    state: Atomic::new(SlotState::Free as i32),
                    worker: Atomic::new(core::ptr::null_mut()),
                    head: Atomic::new(core::ptr::null_mut()),
                    ctx: Atomic::new(core::ptr::null_mut()),
                    asked: Atomic::new(false),
                    claim: Atomic::new(0),
                },
                GFP_KERNEL,
            )?;
        }
        Ok(Self {
            slots,
            nr_threads: Atomic::new(0),
            entered: Atomic::new(0),
            dead: Atomic::new(false),
            state: Atomic::new(
                Handoff {
                    phase: Phase::Idle,
                    gen: 0,
                }
                .encode(),
            ),
            owner: Atomic::new(0),
            head_ctx: Atomic::new(core::ptr::null_mut()),
            in_flight: Atomic::new(0),
        })
    }

    /// Counts a thread about to be created; false if the pool is full.
    pub(crate) fn reserve_thread(&self) -> bool {
        if self.nr_threads.fetch_add(1, Full) >= self.slots.len() as i32 {
            self.nr_threads.add(-1, Relaxed);
            return false;
        }
        true
    }

    /// A thread counted by [`Pool::reserve_thread`] is gone.
    pub(crate) fn release_thread(&self) {
        self.nr_threads.add(-1, Relaxed);
    }

    /// Whether threads are missing (earlier creations failed).
    pub(crate) fn wants_threads(&self) -> bool {
        !self.is_dead() && self.nr_threads.load(Relaxed) < self.slots.len() as i32
    }

    pub(crate) fn nr_threads(&self) -> i32 {
        self.nr_threads.load(Relaxed)
    }

    pub(crate) fn entered(&self) -> i32 {
        self.entered.load(Acquire)
    }

    /// Makes every pool thread exit once it is idle.
    pub(crate) fn shut_down(&self) {
        // Full barrier: pairs with the one in `enter()`.
        self.dead.xchg(true, Full);
        let _rcu = rcu::read_lock();
        for slot in self.slots.iter() {
            if slot
                .state
                .cmpxchg(SlotState::Idle as i32, SlotState::Dead as i32, Full)
                .is_ok()
            {
                // SAFETY: The thread was in its slot when we moved it out
                // of `Idle`, so it had not exited; under RCU it cannot be
                // freed before we are done.
                unsafe { bindings::wake_up_process(slot.worker.load(Relaxed)) };
            }
        }
    }

    fn is_dead(&self) -> bool {
        self.dead.load(Acquire)
    }

    /// The current task arms its next atom: if it blocks, a pool thread may
    /// take over.  `ctx` must stay valid until [`Pool::settle`] returned.
    pub(crate) fn arm(&self, ctx: &HeadCtx) {
        ctx.result.store(RESULT_PENDING, Relaxed);
        self.head_ctx
            .store(ctx as *const HeadCtx as *mut HeadCtx, Relaxed);
        self.owner.store(current!().as_ptr() as usize, Relaxed);
        // Only the owner arms, from `Idle`: nobody else writes the word now.
        let old = Handoff::decode(self.state.load(Relaxed));
        let armed = Handoff {
            phase: Phase::Armed,
            gen: old.gen.wrapping_add(1),
        };
        self.state.store(armed.encode(), Release);
    }

    /// Called in the armed head `head`, the current task, from
    /// `sched_submit_work()` or [`Pool::hand_off_now`]: offers the handoff
    /// to an idle pool thread.  No sleeping, no allocation, no lock.
    pub(crate) fn offer(&self, head: &Task) {
        // Acquire: the owner and context stored before the arming.
        let armed = self.state.load(Acquire);
        let state = Handoff::decode(armed);
        if state.phase != Phase::Armed || self.owner.load(Relaxed) != head.as_ptr() as usize {
            return;
        }
        // The owner is `head`, so the armed context is the head's own,
        // valid while it runs this.
        let ctx = self.head_ctx.load(Relaxed);
        let _rcu = rcu::read_lock();
        for (i, slot) in self.slots.iter().enumerate() {
            if slot
                .state
                .cmpxchg(SlotState::Idle as i32, SlotState::Offering as i32, Full)
                .is_err()
            {
                continue;
            }
            let href = ARef::into_raw(ARef::from(head)).as_ptr().cast();
            slot.head.store(href, Relaxed);
            slot.ctx.store(ctx, Relaxed);
            // SAFETY: `ctx` is the head's own context, see above.
            slot.asked
                .store(unsafe { (*ctx).asked.load(Relaxed) }, Relaxed);
            let claim = state.to(Phase::Claimed(i));
            slot.claim.store(claim, Relaxed);
            if self.state.cmpxchg(armed, claim, Full).is_err() {
                // Not reached while `head` owns the armed state, which only
                // `head` and the threads it claimed change; undone anyway.
                slot.head.store(core::ptr::null_mut(), Relaxed);
                // SAFETY: We made this reference above and did not publish it.
                drop(unsafe { ARef::<Task>::from_raw(NonNull::new_unchecked(href.cast())) });
                // Full barrier: pairs with the one in `shut_down()`, which
                // skipped this slot while it was `Offering`.
                slot.state.xchg(SlotState::Idle as i32, Full);
                if self.is_dead()
                    && slot
                        .state
                        .cmpxchg(SlotState::Idle as i32, SlotState::Dead as i32, Full)
                        .is_ok()
                {
                    // SAFETY: As in `shut_down()`.
                    unsafe { bindings::wake_up_process(slot.worker.load(Relaxed)) };
                }
                return;
            }
            // Release: the thread sees head, context and `asked` with it.
            slot.state.store(SlotState::Claimed as i32, Release);
            // SAFETY: The thread was in its slot when we moved it out of
            // `Idle` and stays there until it handled the claim; RCU keeps
            // it from being freed if it then exits before we wake it.
            unsafe { bindings::wake_up_process(slot.worker.load(Relaxed)) };
            return;
        }
    }

    /// The current task asks for a handoff right away (`SYSLET_ASYNC`) and
    /// waits until a pool thread took over or refused.  The atom must be
    /// armed.  A signal cancels an offer that was not committed: the head
    /// then runs its chain in place, and takes part in a group stop or a
    /// freeze, which a stopped pool thread would otherwise hold up.
    pub(crate) fn hand_off_now(&self, ctx: &HeadCtx) {
        ctx.asked.store(true, Relaxed);
        let cur = current!();
        self.offer(cur);
        loop {
            let raw = self.state.load(Acquire);
            if ctx.taken() {
                break;
            }
            let state = Handoff::decode(raw);
            match state.phase {
                // Refused, or no idle thread.
                Phase::Armed => break,
                Phase::Claimed(_) => {
                    glue::wait_while64(&self.state, raw, Sleep::Interruptible);
                    if cur.signal_pending()
                        && self
                            .state
                            .cmpxchg(raw, state.to(Phase::Armed), Full)
                            .is_ok()
                    {
                        break;
                    }
                }
                // Committed: the takeover does not wait for anything.
                Phase::Taking(_) | Phase::Idle => {
                    glue::wait_while(&ctx.result, RESULT_PENDING, Sleep::Uninterruptible)
                }
            }
        }
        ctx.asked.store(false, Relaxed);
    }

    /// The armed atom's system call returned: cancels a handoff that did
    /// not commit, or waits for one that did.  Returns true if a pool
    /// thread took over: the caller is then an old head finishing its chain.
    ///
    /// The state is loaded before the result: a pool thread that took over
    /// stores the result before it can arm an atom of its own, so a state
    /// armed by it is always seen together with the result.
    pub(crate) fn settle(&self, ctx: &HeadCtx) -> bool {
        loop {
            let raw = self.state.load(Acquire);
            if ctx.taken() {
                return true;
            }
            let state = Handoff::decode(raw);
            match state.phase {
                Phase::Armed | Phase::Claimed(_) => {
                    if self.state.cmpxchg(raw, state.to(Phase::Idle), Full).is_ok() {
                        return false;
                    }
                }
                // Taking, or Idle after the commit: the pool thread sets
                // the result and wakes us; the takeover does not wait.
                _ => glue::wait_while(&ctx.result, RESULT_PENDING, Sleep::Uninterruptible),
            }
        }
    }

    /// Puts the current thread (new, or an old head done with its chain)
    /// into a free slot.
    fn enter(&self, me: &Task) -> Option<usize> {
        for (i, slot) in self.slots.iter().enumerate() {
            if slot
                .state
                .cmpxchg(SlotState::Free as i32, SlotState::Entering as i32, Relaxed)
                .is_ok()
            {
                slot.worker.store(me.as_ptr(), Relaxed);
                // Full barrier: pairs with the one in `shut_down()`.
                slot.state.xchg(SlotState::Idle as i32, Full);
                self.entered.fetch_add(1, Release);
                return Some(i);
            }
        }
        None
    }

    /// Handles the claim of slot `i` in its thread.  Returns true if the
    /// thread took over user space.
    fn take_claim(&self, i: usize, killed: bool, prev: Option<&Tid>) -> bool {
        let slot = &self.slots[i];
        let href = slot.head.xchg(core::ptr::null_mut(), Relaxed);
        let Some(href) = NonNull::new(href.cast::<Task>()) else {
            // A claim always carries its head (see `offer()`).
            return false;
        };
        // SAFETY: The claim (seen with acquire) carries a counted reference
        // to the head, which is now ours.
        let head: ARef<Task> = unsafe { ARef::from_raw(href) };
        let asked = slot.asked.load(Relaxed);
        let want = slot.claim.load(Relaxed);
        let claim = Handoff::decode(want);
        if let Some(prev) = prev {
            prev.wait_settled(&head);
        }
        let movable = glue::wait_off_cpu(&head, &self.state, want)
            && !killed
            && !self.is_dead()
            && !glue::group_exiting();
        let lock = if movable {
            glue::can_hand_off(&head)
        } else {
            None
        };
        let Some(lock) = lock else {
            // Refused (or the head stayed on its CPU, or the offer is gone):
            // give an open offer back, so that the head can offer again.
            if self
                .state
                .cmpxchg(want, claim.to(Phase::Armed), Full)
                .is_ok()
                && asked
            {
                head.wake_up();
            }
            return false;
        };
        if self
            .state
            .cmpxchg(want, claim.to(Phase::Taking(i)), Full)
            .is_err()
        {
            return false;
        }
        let ctx = slot.ctx.load(Relaxed);
        // SAFETY: `head` is a blocked head of our process, off the CPU,
        // `can_hand_off()` gave us `lock`, and we committed.
        let tid = unsafe { glue::take_over(&lock, &head, prev) };
        drop(lock);
        self.in_flight.add(1, Relaxed);
        self.state.store(claim.to(Phase::Idle), Release);
        // SAFETY: Committed: the head waits for the result in `settle()` or
        // `hand_off_now()`, so its context is valid until it saw it, and
        // only we write `tid`.
        unsafe {
            *(*ctx).tid.get() = Some(tid);
            (*ctx).result.store(RESULT_TAKEN, Release);
        }
        head.wake_up();
        true
    }

    /// Waits in the pool until taking over user space, or until the current
    /// thread must exit.  `entered` runs once the thread is in a slot.  An
    /// old head passes the TID it had: once an RCU grace period passed
    /// since the exchange, it forwards the signals that still reached it a
    /// last time (see `syslet_forward_signals()`).  Claimed before that, it
    /// waits for the grace period unless the head owns that TID, and
    /// forwards under siglock as it takes over; leaving the pool, it waits
    /// for the grace period too.
    pub(crate) fn serve(&self, mut tid: Option<Tid>, entered: impl FnOnce()) -> Outcome {
        let me = current!();
        let Some(i) = self.enter(me) else {
            return leave(tid);
        };
        entered();
        let slot = &self.slots[i];
        // A fatal signal is latched: `get_signal()` dequeues it.
        let mut killed = false;
        loop {
            if me.signal_pending() {
                killed |= glue::worker_signal();
            }
            killed |= glue::group_exiting();
            let raw = slot.state.load(Acquire);
            match SlotState::decode(raw) {
                SlotState::Claimed => {
                    if self.take_claim(i, killed, tid.as_ref()) {
                        slot.state.store(SlotState::Free as i32, Release);
                        return Outcome::TookOver;
                    }
                    // Full barrier: pairs with the one in `shut_down()`.
                    slot.state.xchg(SlotState::Idle as i32, Full);
                }
                SlotState::Dead => {
                    slot.state.store(SlotState::Free as i32, Release);
                    return leave(tid);
                }
                SlotState::Idle => {
                    if killed || self.is_dead() {
                        if slot
                            .state
                            .cmpxchg(raw, SlotState::Free as i32, Full)
                            .is_ok()
                        {
                            return leave(tid);
                        }
                        continue;
                    }
                    match &tid {
                        Some(t) if t.settled() => {
                            t.forward_signals();
                            tid = None;
                        }
                        Some(_) => glue::wait_while_timeout(&slot.state, raw, FORWARD_POLL),
                        None => glue::wait_while(&slot.state, raw, Sleep::Interruptible),
                    }
                }
                // The claim is being published; its head wakes us.
                SlotState::Offering => glue::wait_while(&slot.state, raw, Sleep::Interruptible),
                // Only this thread moves its slot to these.
                SlotState::Free | SlotState::Entering => return leave(tid),
            }
        }
    }
}

/// A pool thread leaves the pool: an old head forwards late signals a
/// last time, since nothing is delivered to an exiting thread.
fn leave(tid: Option<Tid>) -> Outcome {
    if let Some(tid) = tid {
        tid.forward_last();
    }
    Outcome::Exit
}
