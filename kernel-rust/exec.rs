// SPDX-License-Identifier: GPL-2.0

//! `async_exec()` in the calling task: the kernel side of [`Env`].
//!
//! User memory is reached through the C helpers of [`glue`]: every atom is
//! read once per execution in one user-access window, every argument and
//! result is one `get_user()` or `put_user()`.  Nothing here allocates or
//! takes a lock, and an atom boundary with nothing to do is one test of
//! the thread flags, so a syslet that never blocks costs little more than
//! its system calls, plus, for a thread with a registration, arming each
//! atom for a handoff (a few atomic stores).
//!
//! When a pool thread took over (see `pool.rs`), the same task goes on
//! with the chain as a worker: it posts completions, handles its signals
//! as a pool thread does, and parks in the pool at the end.

use crate::abi::{Atom, AtomFlags, RING_FAULT, RING_INVAL, RING_STATUS_MASK};
use crate::glue::{self, Tid};
use crate::interp::{self, Boundary, ChainError, Env, Fault, SysRet};
use crate::pool::HeadCtx;
use crate::registration::{attached_registration, park, Registration};
use kernel::{current, prelude::*, sync::Arc, task, uaccess::UserPtr};

/// Runs atoms as the calling task, with its credentials and seccomp filter.
struct TaskEnv<'a> {
    /// The caller's registration, if it has one.
    reg: Option<Arc<Registration>>,
    /// Atoms may hand off (registered, not `SYSLET_SYNC`).
    may_hand_off: bool,
    /// A pool thread took over; we finish the chain in the background.
    is_async: bool,
    /// The atom being run: the one the chain ended on if it fails.
    current_atom: u64,
    /// Shared with a pool thread taking over; outlives the chain.
    ctx: &'a HeadCtx,
    /// Once taken over: the TID we had, to forward late signals to.
    tid: Option<Tid>,
    /// A fatal signal was dequeued (`get_signal()` does not latch it for a
    /// pool thread): the chain ends at the next boundary.
    killed: bool,
}

impl<'a> TaskEnv<'a> {
    fn new(reg: Option<Arc<Registration>>, ctx: &'a HeadCtx) -> Self {
        Self {
            reg,
            may_hand_off: false,
            is_async: false,
            current_atom: 0,
            ctx,
            tid: None,
            killed: false,
        }
    }

    /// A pool thread took over: from now on we are a worker.
    fn became_async(&mut self) {
        self.is_async = true;
        glue::become_worker();
        self.tid = self.ctx.take_tid();
        self.forward_signals();
    }

    /// Whether the thread that owns our old TID no longer has the
    /// privileges we run with: atoms must then not run (the chain ends
    /// with -EPERM).
    fn privilege_stale(&self) -> bool {
        self.tid.as_ref().is_some_and(Tid::privilege_stale)
    }

    /// Passes on thread-directed signals that were sent to our old TID.
    fn forward_signals(&self) {
        if let Some(tid) = &self.tid {
            tid.forward_signals();
        }
    }
}

/// How an atom's system call may run again after an interruption.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Restart {
    No,
    /// Run it again with the same arguments.
    Call,
    /// Run its restart block.
    Block,
}

fn sysret((ret, how): (i64, glue::Syscall)) -> (SysRet, Restart) {
    match how {
        glue::Syscall::Ran => (SysRet::Ran(ret), Restart::No),
        glue::Syscall::Restart => (SysRet::Ran(ret), Restart::Call),
        glue::Syscall::RestartBlock => (SysRet::Ran(ret), Restart::Block),
        glue::Syscall::Refused => (SysRet::Refused(ret), Restart::No),
        glue::Syscall::Kill => (SysRet::Kill(ret), Restart::No),
    }
}

/// Runs the system call of the atom at `atom`; an interrupted one returns
/// `-EINTR` and says how it could run again.
fn run_syscall(atom: u64, nr: u32, args: &[u64; 6]) -> (SysRet, Restart) {
    sysret(glue::do_syscall(atom, nr, args))
}

impl TaskEnv<'_> {
    /// Runs the atom's system call once, armed for a handoff if it may.
    fn syscall_once(&mut self, nr: u32, args: &[u64; 6]) -> (SysRet, Restart) {
        let reg = match &self.reg {
            Some(reg) if self.may_hand_off && !self.is_async => reg,
            _ => return run_syscall(self.current_atom, nr, args),
        };
        reg.pool.arm(self.ctx);
        glue::set_armed(true);
        let ret = run_syscall(self.current_atom, nr, args);
        glue::set_armed(false);
        if reg.pool.settle(self.ctx) {
            self.became_async();
        }
        ret
    }
}

impl Env for TaskEnv<'_> {
    fn read_atom(&mut self, uaddr: u64, atom: &mut Atom) -> Result<(), Fault> {
        self.current_atom = uaddr;
        glue::read_atom(uaddr, atom).ok_or(Fault)
    }

    fn read_args(&mut self, arg_ptr: &[u64; 6], args: &mut [u64; 6]) -> Result<(), Fault> {
        glue::read_args(arg_ptr, args).ok_or(Fault)
    }

    fn write_result(&mut self, uaddr: u64, val: i64) -> Result<(), Fault> {
        glue::write_result(uaddr, val).ok_or(Fault)
    }

    fn syscall(&mut self, nr: u32, args: &[u64; 6]) -> SysRet {
        if self.privilege_stale() {
            return SysRet::Refused(EPERM.to_errno().into());
        }
        let (mut ret, mut restart) = self.syscall_once(nr, args);
        // An old head blocks every signal but SIGKILL and SIGSTOP: what
        // interrupted the call is a stop, a freeze or task work, after
        // which a thread's call restarts without user space seeing it.
        while restart != Restart::No && self.is_async && current!().signal_pending() {
            if glue::worker_signal() {
                self.killed = true;
                break;
            }
            // The restarted call checks permissions again.
            if self.privilege_stale() {
                return SysRet::Refused(EPERM.to_errno().into());
            }
            (ret, restart) = match restart {
                Restart::Block => sysret(glue::restart_syscall(self.current_atom)),
                _ => run_syscall(self.current_atom, nr, args),
            };
        }
        ret
    }

    fn boundary(&mut self) -> Boundary {
        // The common case: a thread's chain with nothing to handle.
        if !self.is_async && !glue::boundary_work() {
            return Boundary::Continue;
        }
        let task = current!();
        // What the return to user space that a chain does not take would
        // do: a looping chain must not pile up deferred fput()s.
        glue::worker_run_work();
        if self.is_async {
            self.forward_signals();
        }
        if self.killed || task.fatal_signal_pending() || (self.is_async && glue::group_exiting()) {
            return Boundary::Kill;
        }
        task::cond_resched();
        if !task.signal_pending() {
            return Boundary::Continue;
        }
        if !self.is_async {
            return Boundary::Interrupt;
        }
        // A worker only sees SIGKILL and stops; it takes part in stops.
        // A kill that `get_signal()` dequeued is latched.
        if glue::worker_signal() {
            self.killed = true;
            Boundary::Kill
        } else {
            Boundary::Continue
        }
    }

    fn start(&mut self, flags: AtomFlags) {
        let Some(reg) = &self.reg else {
            return;
        };
        self.may_hand_off = !flags.never_hand_off();
        if self.may_hand_off && flags.hand_off_first() {
            reg.pool.arm(self.ctx);
            reg.pool.hand_off_now(self.ctx);
            if reg.pool.settle(self.ctx) {
                self.became_async();
            }
        }
    }

    fn atom_done(&mut self, uaddr: u64, flags: AtomFlags) {
        if let Some(reg) = &self.reg {
            if self.is_async
                && !flags.no_complete()
                && !reg.post(uaddr, current!().as_ptr() as usize)
            {
                self.killed = true;
            }
        }
    }
}

/// A seccomp kill for the caller to carry out once it unwound.
pub(crate) struct SeccompKill {
    pub(crate) nr: u32,
    pub(crate) how: i64,
}

/// `async_exec()`: runs the chain at `first` in the calling task.
///
/// Returns the address of the atom it ended on, or the error, if it ran
/// synchronously; 0 once a pool thread took over: that thread returns 0 to
/// user space, and so do we when we take over again after parking in the
/// pool.  A seccomp kill of a synchronous chain is left to the caller.
pub(crate) fn exec(first: UserPtr, kill: &mut Option<SeccompKill>) -> Result<u64> {
    let reg = attached_registration();
    if let Some(reg) = &reg {
        // Also after `async_register(NULL)`, for the syslets in flight.
        reg.flush();
    }
    let reg = reg.filter(|reg| !reg.is_closed());
    if let Some(reg) = &reg {
        reg.top_up();
    }
    let ctx = HeadCtx::new();
    let mut env = TaskEnv::new(reg, &ctx);
    let res = interp::run_chain(&mut env, first.as_const_ptr() as u64);
    let reg = match env.reg.take() {
        Some(reg) if env.is_async => reg,
        _ => {
            return res.map_err(|err| match err {
                ChainError::Fault => EFAULT,
                ChainError::InvalidFlags => EINVAL,
                ChainError::Killed => EINTR,
                ChainError::SeccompKill { nr, how } => {
                    *kill = Some(SeccompKill { nr, how });
                    ENOSYS
                }
            })
        }
    };
    // The entry the chain ends on, with its status (none if killed).
    let end = match res {
        Ok(atom) => Some(atom),
        Err(ChainError::Killed | ChainError::SeccompKill { .. }) => None,
        Err(ChainError::Fault) => Some((env.current_atom & !RING_STATUS_MASK) | RING_FAULT),
        Err(ChainError::InvalidFlags) => Some((env.current_atom & !RING_STATUS_MASK) | RING_INVAL),
    };
    reg.end_flight(end, current!().as_ptr() as usize);
    let tid = env.tid.take();
    if let Some(tid) = &tid {
        tid.forward_signals();
    }
    if let Err(ChainError::SeccompKill { nr, how }) = res {
        drop((reg, tid));
        glue::worker_seccomp_kill(nr, how);
    }
    // The last forwarding waits for an RCU grace period: in the pool,
    // where we can be claimed meanwhile.
    park(reg, tid);
    Ok(0)
}
