// SPDX-License-Identifier: GPL-2.0

//! `async_exec()` in the calling task: the kernel side of [`Env`].
//!
//! User memory is reached through [`UserSlice`]: every atom is copied once
//! per execution, every argument and result is one 8-byte access.  Nothing
//! here allocates or takes a lock, so a syslet that never blocks costs the
//! copies and the system calls themselves.

use crate::abi::Atom;
use crate::interp::{self, Boundary, ChainError, Env, Fault, SysRet};
use kernel::{
    bindings, current,
    prelude::*,
    task,
    transmute::FromBytes,
    uaccess::{UserPtr, UserSlice},
};

// SAFETY: `Atom` is `repr(C)` and made of integers only, without padding, so
// every byte pattern of its size is a valid value.
unsafe impl FromBytes for Atom {}

/// The user slice of `len` bytes at the user address `uaddr`.
fn user_slice(uaddr: u64, len: usize) -> UserSlice {
    // User addresses are `usize` wide; on 64-bit kernels nothing is lost.
    UserSlice::new(UserPtr::from_addr(uaddr as usize), len)
}

/// Runs atoms as the calling task, with its credentials and seccomp filter.
struct TaskEnv;

impl Env for TaskEnv {
    fn read_atom(&mut self, uaddr: u64) -> Result<Atom, Fault> {
        user_slice(uaddr, core::mem::size_of::<Atom>())
            .reader()
            .read::<Atom>()
            .map_err(|_| Fault)
    }

    fn read_arg(&mut self, uaddr: u64) -> Result<u64, Fault> {
        user_slice(uaddr, 8)
            .reader()
            .read::<u64>()
            .map_err(|_| Fault)
    }

    fn write_result(&mut self, uaddr: u64, val: i64) -> Result<(), Fault> {
        user_slice(uaddr, 8).writer().write(&val).map_err(|_| Fault)
    }

    fn syscall(&mut self, nr: u32, args: &[u64; 6]) -> SysRet {
        let mut refused = false;
        // SAFETY: `args` points to six `u64`s and `refused` to a `bool`, both
        // valid for the duration of the call, as the prototype requires.
        let ret = unsafe { bindings::syslet_do_syscall(nr, args.as_ptr(), &mut refused) };
        // Syslets only exist on 64-bit architectures: `long` is `i64`.
        let ret = ret as i64;
        if refused {
            SysRet::Refused(ret)
        } else {
            SysRet::Ran(ret)
        }
    }

    fn boundary(&mut self) -> Boundary {
        let task = current!();
        if task.fatal_signal_pending() {
            return Boundary::Kill;
        }
        task::cond_resched();
        if task.signal_pending() {
            Boundary::Interrupt
        } else {
            Boundary::Continue
        }
    }
}

/// Runs the chain at `first` synchronously in the calling task; returns the
/// address of the atom it ended on, or the error for the system call.
pub(crate) fn exec_sync(first: UserPtr) -> Result<u64> {
    interp::run_chain(&mut TaskEnv, first.as_const_ptr() as u64).map_err(|err| match err {
        ChainError::Fault => EFAULT,
        ChainError::InvalidFlags => EINVAL,
        ChainError::Killed => EINTR,
    })
}
