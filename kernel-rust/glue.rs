// SPDX-License-Identifier: GPL-2.0

//! Safe wrappers over the C glue of `kernel/syslet/handoff.c` and
//! `syscalls.c`: the only module that calls the `syslet_*` C helpers.
//!
//! Most helpers act on the current task and take no pointer; those that do
//! take references whose validity the type system already guarantees.

use crate::abi::Atom;
use core::ptr::NonNull;
use kernel::{
    bindings,
    prelude::*,
    sync::{atomic::Atomic, Arc},
    task::Task,
    types::ForeignOwnable,
};

/// How a task sleeps in [`wait_while`].
#[derive(Clone, Copy)]
pub(crate) enum Sleep {
    /// Returns early when a signal is pending.
    Interruptible,
    /// Only the state word ends the wait.
    Uninterruptible,
}

/// Sleeps while `word` holds `val`: whoever changes it wakes the sleeper.
pub(crate) fn wait_while(word: &Atomic<i32>, val: i32, how: Sleep) {
    let state = match how {
        Sleep::Interruptible => bindings::TASK_INTERRUPTIBLE,
        Sleep::Uninterruptible => bindings::TASK_UNINTERRUPTIBLE,
    };
    // SAFETY: `word` is a valid, aligned `int` for the duration of the call,
    // the only thing the helper reads.
    unsafe { bindings::syslet_wait_while(word.as_ptr(), val, state) };
}

/// [`wait_while`] for at most `jiffies`.
pub(crate) fn wait_while_timeout(word: &Atomic<i32>, val: i32, jiffies: c_long) {
    // SAFETY: `word` is a valid, aligned `int` for the duration of the call,
    // the only thing the helper reads.
    unsafe { bindings::syslet_wait_while_timeout(word.as_ptr(), val, jiffies) };
}

/// [`wait_while`] for a 64-bit word.
pub(crate) fn wait_while64(word: &Atomic<i64>, val: i64, how: Sleep) {
    let state = match how {
        Sleep::Interruptible => bindings::TASK_INTERRUPTIBLE,
        Sleep::Uninterruptible => bindings::TASK_UNINTERRUPTIBLE,
    };
    // SAFETY: `word` is a valid, aligned `s64` for the duration of the call,
    // the only thing the helper reads.
    unsafe { bindings::syslet_wait_while64(word.as_ptr(), val, state) };
}

/// Waits until `head`, which went to sleep, is off its CPU (its user state
/// is then in memory), while `word` still holds `val`.  Returns whether
/// the offer was still open when `head` was seen off the CPU; gives up
/// after a while, or when the process exits.
pub(crate) fn wait_off_cpu(head: &Task, word: &Atomic<i64>, val: i64) -> bool {
    // SAFETY: `head` is a valid task for the duration of the call (the
    // reference keeps it alive) and `word` a valid `s64`.
    unsafe { bindings::syslet_wait_off_cpu(head.as_ptr(), word.as_ptr(), val) }
}

/// Handles the current pool thread's pending signals (stops, freezing,
/// task work).  Returns true if one was fatal.
pub(crate) fn worker_signal() -> bool {
    // SAFETY: Acts on the current task, a pool thread or old head, which
    // never returns to user space through this path.
    unsafe { bindings::syslet_worker_signal() }
}

/// Whether the current task's process is exiting (fatal signal, even one
/// that was already dequeued, group exit or exec).
pub(crate) fn group_exiting() -> bool {
    // SAFETY: Only reads the current task's signal state.
    unsafe { bindings::syslet_group_exiting() }
}

/// Runs the current task's task work (a deferred `fput()`) and cgroup
/// throttling, as a return to user space would.
pub(crate) fn worker_run_work() {
    // SAFETY: Called in process context with no lock held, between atoms or
    // before parking, where a return to user space would run the same.
    unsafe { bindings::syslet_worker_run_work() }
}

/// Whether an atom boundary has work to do (signals, task work, cgroup
/// throttling, a reschedule); if not, it can go straight on.
pub(crate) fn boundary_work() -> bool {
    // SAFETY: Only reads the current task's thread flags.
    unsafe { bindings::syslet_boundary_work() }
}

/// Marks the current task for `sched_submit_work()` while it runs an
/// armed atom.
pub(crate) fn set_armed(armed: bool) {
    // SAFETY: Only the current task's own flags change.
    unsafe { bindings::syslet_set_armed(armed) }
}

/// The current task, an old head, becomes a pool thread.
pub(crate) fn become_worker() {
    // SAFETY: The current task finishes its chain in the kernel and does
    // not return to user space before it takes over again.
    unsafe { bindings::syslet_become_worker() }
}

/// Exits the current pool thread.
pub(crate) fn worker_exit() -> ! {
    // SAFETY: Called by a pool thread or old head that released everything
    // it owned (the callers consume their references first).
    unsafe { bindings::syslet_worker_exit() }
}

/// Carries out a seccomp kill decided for an atom of an asynchronous
/// chain: kills the process.
pub(crate) fn worker_seccomp_kill(nr: u32, how: i64) -> ! {
    // SAFETY: Called by an old head that released everything it owned.
    unsafe { bindings::syslet_worker_seccomp_kill(nr as c_int, how as c_long) }
}

/// Proof that a handoff was checked and may be carried out: the process's
/// `cred_guard_mutex` is held, under which `ptrace_attach()` and seccomp's
/// `TSYNC` change a thread, so what [`can_hand_off`] saw stays true until
/// the guard is dropped.  Not `Send`: the current task holds the mutex.
pub(crate) struct HandoffLock(core::marker::PhantomData<*mut ()>);

impl Drop for HandoffLock {
    fn drop(&mut self) {
        // SAFETY: A `HandoffLock` only exists while the current task holds
        // the mutex (taken by a successful `syslet_can_hand_off()`), and
        // this is its only release.
        unsafe { bindings::syslet_hand_off_unlock() }
    }
}

/// May `head`'s user identity move to the current task?  If so, the
/// answer holds while the returned guard lives.
pub(crate) fn can_hand_off(head: &Task) -> Option<HandoffLock> {
    // SAFETY: `head` is valid (borrowed); the helper only reads it.
    if unsafe { bindings::syslet_can_hand_off(head.as_ptr()) } {
        Some(HandoffLock(core::marker::PhantomData))
    } else {
        None
    }
}

/// The TID of a thread that an old head had, kept to forward the signals
/// that still reach it.
pub(crate) struct Tid {
    pid: NonNull<bindings::pid>,
    /// RCU grace-period state of the TID exchange.
    gp: usize,
}

// SAFETY: A `struct pid` reference may be used and put from any task.
unsafe impl Send for Tid {}

impl Tid {
    /// Forwards signals queued on the current task (the old head) to the
    /// TID's owner.
    pub(crate) fn forward_signals(&self) {
        // SAFETY: `self.pid` is a valid `struct pid` (we own a reference).
        unsafe { bindings::syslet_forward_signals(self.pid.as_ptr()) };
    }

    /// Whether an RCU grace period passed since the TID exchange: no
    /// sender can still find the old head, one last forwarding suffices.
    pub(crate) fn settled(&self) -> bool {
        // SAFETY: Only compares RCU grace-period states.
        unsafe { bindings::syslet_gp_done(self.gp) }
    }

    /// Waits until [`Tid::settled`], then forwards a last time: for an old
    /// head that leaves the pool.
    pub(crate) fn forward_last(self) {
        // SAFETY: `self.pid` is a valid `struct pid` (we own a reference);
        // we are a pool thread, which may sleep.
        unsafe { bindings::syslet_forward_signals_last(self.pid.as_ptr(), self.gp) };
    }

    /// Before an old head with this TID takes `head` over: waits until
    /// late signals for the TID can only reach its own thread (see
    /// `syslet_tid_wait_settled()`).
    pub(crate) fn wait_settled(&self, head: &Task) {
        // SAFETY: `self.pid` is a valid `struct pid`, `head` a valid task;
        // we are a pool thread, which may sleep.
        unsafe { bindings::syslet_tid_wait_settled(self.pid.as_ptr(), self.gp, head.as_ptr()) };
    }
}

impl Tid {
    /// Whether the credentials, seccomp filter or no_new_privs of the
    /// thread that owns this TID now differ from the current task's (or the
    /// thread is gone).
    pub(crate) fn privilege_stale(&self) -> bool {
        // SAFETY: `self.pid` is a valid `struct pid`; the helper only reads.
        unsafe { bindings::syslet_privilege_stale(self.pid.as_ptr()) }
    }
}

impl Drop for Tid {
    fn drop(&mut self) {
        // SAFETY: We own this reference.
        unsafe { bindings::put_pid(self.pid.as_ptr()) };
    }
}

/// Takes over `head`'s user identity (see `syslet_take_over()`).
///
/// # Safety
///
/// `head` is a blocked head of the current process, off its CPU, for which
/// [`can_hand_off`] returned `lock`, and whose takeover the caller
/// committed to.
///
/// `prev` is the TID the current task had as an old head; [`Tid::wait_settled`]
/// must have returned for it, or late signals may reach the wrong thread.
pub(crate) unsafe fn take_over(_lock: &HandoffLock, head: &Task, prev: Option<&Tid>) -> Tid {
    let prev = prev.map_or(core::ptr::null_mut(), |t| t.pid.as_ptr());
    let mut gp = 0;
    // SAFETY: As the function's safety requirement says; `prev` is NULL or
    // a valid `struct pid`, `gp` is valid.
    let pid = unsafe { bindings::syslet_take_over(head.as_ptr(), prev, &mut gp) };
    Tid {
        // SAFETY: `get_pid()` of a live task's pid is never NULL.
        pid: unsafe { NonNull::new_unchecked(pid) },
        gp,
    }
}

/// Whether `[base, base + len)` is a range of user addresses.
pub(crate) fn ring_range_ok(base: u64, len: u64) -> bool {
    // SAFETY: Only compares addresses; nothing is accessed.
    unsafe { bindings::syslet_ring_range_ok(base, len) }
}

/// How [`do_syscall`] treated an atom's system call.
pub(crate) enum Syscall {
    /// It ran (or seccomp failed it with an errno).
    Ran,
    /// A signal, stop or freeze interrupted it; it may run again.
    Restart,
    /// The same, through the restart block it left ([`restart_syscall`]).
    RestartBlock,
    /// It may not run as an atom.
    Refused,
    /// Seccomp kills the caller; the value says how.
    Kill,
}

/// Reads the atom at the user address `uaddr` into `atom`; `None` if it
/// faults.
pub(crate) fn read_atom(uaddr: u64, atom: &mut Atom) -> Option<()> {
    // SAFETY: The helper reaches `uaddr` only through the checked user
    // access API, and writes to `atom`, a valid `Atom`, which has the
    // layout of `struct syslet_uatom` (checked at compile time in the crate
    // root) and is valid with any bit pattern.
    let ret = unsafe {
        bindings::syslet_read_atom(
            uaddr as usize as *const bindings::syslet_uatom,
            core::ptr::from_mut(atom).cast(),
        )
    };
    (ret == 0).then_some(())
}

/// Loads an atom's arguments through `arg_ptr` into `args` (see
/// [`crate::interp::Env::read_args`]); `None` if one faults.
pub(crate) fn read_args(arg_ptr: &[u64; 6], args: &mut [u64; 6]) -> Option<()> {
    // SAFETY: Both arrays have the six entries the helper accesses; it
    // reaches the user addresses in `arg_ptr` only through `get_user()`.
    let ret = unsafe { bindings::syslet_read_args(arg_ptr.as_ptr(), args.as_mut_ptr()) };
    (ret == 0).then_some(())
}

/// Stores an atom's result at the user address `uaddr`; `None` if it
/// faults.
pub(crate) fn write_result(uaddr: u64, val: i64) -> Option<()> {
    // SAFETY: The helper reaches `uaddr` only through `put_user()`.
    let ret = unsafe { bindings::syslet_write_result(uaddr, val) };
    (ret == 0).then_some(())
}

/// Runs system call `nr` of the atom at the user address `atom`, through
/// the allowlist and seccomp.
pub(crate) fn do_syscall(atom: u64, nr: u32, args: &[u64; 6]) -> (i64, Syscall) {
    let mut how = 0;
    // SAFETY: `args` points to six `u64`s and `how` to an `int`, both
    // valid for the duration of the call, as the prototype requires.
    let ret = unsafe { bindings::syslet_do_syscall(atom, nr, args.as_ptr(), &mut how) };
    syscall_ret(ret, how)
}

/// Runs the restart block the interrupted atom at `atom` left, as
/// `restart_syscall()`.
pub(crate) fn restart_syscall(atom: u64) -> (i64, Syscall) {
    let mut how = 0;
    // SAFETY: Called right after an atom of the current task returned
    // `Syscall::RestartBlock`, which left a valid restart block; `how` is a
    // valid `int`.
    let ret = unsafe { bindings::syslet_restart_syscall(atom, &mut how) };
    syscall_ret(ret, how)
}

/// Tells tracing that an asynchronous syslet posted the ring entry `entry`.
pub(crate) fn posted(entry: u64) {
    // SAFETY: `syslet_posted()` has no preconditions: it takes a plain
    // integer, which the tracepoint only records.
    unsafe { bindings::syslet_posted(entry) }
}

fn syscall_ret(ret: c_long, how: c_int) -> (i64, Syscall) {
    let how = match how as u32 {
        bindings::SYSLET_SYSCALL_RESTART => Syscall::Restart,
        bindings::SYSLET_SYSCALL_RESTART_BLOCK => Syscall::RestartBlock,
        bindings::SYSLET_SYSCALL_REFUSED => Syscall::Refused,
        bindings::SYSLET_SYSCALL_KILL => Syscall::Kill,
        _ => Syscall::Ran,
    };
    // Syslets only exist on 64-bit architectures: `long` is `i64`.
    (ret as i64, how)
}

/// The jiffies counter.
pub(crate) fn jiffies() -> usize {
    // SAFETY: Reads a counter.
    unsafe { bindings::syslet_jiffies() as usize }
}

/// Jiffies to sleep so as to wake no earlier than `deadline` (see
/// [`Deadline`]); 0 once it has passed.
pub(crate) fn deadline_jiffies(deadline: Deadline) -> c_long {
    // SAFETY: Reads the monotonic clock.
    unsafe { bindings::syslet_deadline_jiffies(deadline.0) }
}

/// A `CLOCK_MONOTONIC` time in ns after which `async_wait()` gives up;
/// `i64::MAX` for none.  Computed by the C entry point from the user's
/// relative timeout.
#[derive(Clone, Copy)]
pub(crate) struct Deadline(pub(crate) i64);

impl Deadline {
    /// No timeout: wait without a limit.
    pub(crate) fn is_none(self) -> bool {
        self.0 == i64::MAX
    }
}

/// A reference to an eventfd (`struct eventfd_ctx`), not to its file
/// descriptor.
///
/// # Invariants
///
/// The pointer is a live eventfd context of which this value owns one
/// reference.
pub(crate) struct EventFd(NonNull<bindings::eventfd_ctx>);

// SAFETY: An eventfd context is reference counted and its operations lock
// internally; the reference may be used and dropped by any task.
unsafe impl Send for EventFd {}
// SAFETY: As above: `signal()` may run concurrently on several tasks.
unsafe impl Sync for EventFd {}

impl EventFd {
    /// Takes a reference to the eventfd that `fd` of the current task
    /// names: `EBADF` if `fd` is not open, `EINVAL` if it is no eventfd.
    pub(crate) fn get(fd: i32) -> Result<Self> {
        // SAFETY: `eventfd_ctx_fdget()` accepts any integer: it looks it
        // up in the current task's file table and checks the file type.
        let ctx = unsafe { bindings::syslet_eventfd_get(fd) };
        let ctx = kernel::error::from_err_ptr(ctx)?;
        // INVARIANT: Without an error, `eventfd_ctx_fdget()` returned a
        // context with a reference taken for us.
        NonNull::new(ctx).map(Self).ok_or(EBADF)
    }

    /// Adds 1 to the eventfd's counter and wakes its waiters.  Process
    /// context, not from an eventfd's own wakeup (`eventfd_signal()`
    /// would warn and drop the count): the ring is only posted to by
    /// tasks running syslets and by `async_exec()`/`async_wait()`.
    pub(crate) fn signal(&self) {
        // SAFETY: By the type invariant the context is alive while `self`
        // is.
        unsafe { bindings::syslet_eventfd_signal(self.0.as_ptr()) }
    }
}

impl Drop for EventFd {
    fn drop(&mut self) {
        // SAFETY: By the type invariant `self` owns one reference; `drop()`
        // runs once.
        unsafe { bindings::syslet_eventfd_put(self.0.as_ptr()) }
    }
}

/// The pool-thread limit of `kernel.syslet_max_threads`.
pub(crate) fn thread_limit() -> u64 {
    // SAFETY: Reads an integer sysctl.
    u64::try_from(unsafe { bindings::syslet_thread_limit() }).unwrap_or(1)
}

/// Starts a pool thread of the current process that runs `f(data)`, which
/// owns the reference `data` carries (`ForeignOwnable::from_foreign()`);
/// gives it back on failure.
pub(crate) fn start_thread<T: Send + Sync + 'static>(
    f: unsafe extern "C" fn(*mut c_void) -> c_int,
    data: Arc<T>,
) -> Result<(), (Error, Arc<T>)> {
    let arg = data.into_foreign();
    // SAFETY: `f` matches the prototype; the new thread owns `arg`.
    let tsk = unsafe { bindings::syslet_start_thread(Some(f), arg) };
    match kernel::error::from_err_ptr(tsk) {
        Ok(_) => Ok(()),
        // SAFETY: No thread was created, so the reference is still ours.
        Err(err) => Err((err, unsafe { Arc::from_foreign(arg) })),
    }
}

/// Loads a ring slot from user memory.
pub(crate) fn ring_load(addr: u64) -> Option<u64> {
    let mut val = 0;
    // SAFETY: The helper accesses `addr` only with `get_user()`, which
    // checks it; `val` is a valid `u64`.
    match unsafe { bindings::syslet_ring_load(addr as usize as *const u64, &mut val) } {
        0 => Some(val),
        _ => None,
    }
}

/// Stores a ring slot in user memory, ordered after the results stored
/// before it.
pub(crate) fn ring_store(addr: u64, val: u64) -> Option<()> {
    // SAFETY: The helper accesses `addr` only with `put_user()`.
    match unsafe { bindings::syslet_ring_store(addr as usize as *mut u64, val) } {
        0 => Some(()),
        _ => None,
    }
}
