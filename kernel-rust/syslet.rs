// SPDX-License-Identifier: GPL-2.0

//! Syslets: chains of system calls that the kernel runs for user space.
//!
//! This crate is the core of the syslet series.  The C glue in
//! `kernel/syslet/syscalls.c` defines the system calls and calls the
//! functions exported here; their prototypes live in `include/linux/syslet.h`,
//! which `rust/bindings/bindings_helper.h` includes so that `#[export]`
//! checks that both sides agree.
//!
//! Modules:
//! - [`abi`]: the atom layout and flags of the uapi header (host-testable).
//! - [`interp`]: the atom interpreter (host-testable).
//! - [`exec`]: `async_exec()`: the interpreter run by the calling task.
//! - [`glue`]: safe wrappers over the C helpers.
//! - [`pool`]: pool threads and the handoff when an atom blocks.
//! - [`registration`]: `async_register()`, `async_wait()`, posting.
//! - [`ring`]: the completion ring and its overflow list (host-testable).
//! - [`umem`]: `umem_add()`, atomic addition to a word of user memory.
//! - [`uword`]: locating an aligned user word in its page (host-testable).
//!
//! Modules whose names say "host-testable" use no kernel types; the host
//! Cargo workspace that ships with the series builds them for `cargo test`.

use kernel::{bindings, prelude::*, task::Task, uaccess::UserPtr};

mod abi;
mod exec;
mod glue;
mod interp;
mod pool;
mod registration;
mod ring;
mod umem;
mod uword;

// The host-testable ABI module must agree with the uapi header.
const _: () = {
    use core::mem::{offset_of, size_of};
    type C = bindings::syslet_uatom;
    assert!(size_of::<abi::Atom>() == size_of::<C>());
    assert!(offset_of!(abi::Atom, flags) == offset_of!(C, flags));
    assert!(offset_of!(abi::Atom, nr) == offset_of!(C, nr));
    assert!(offset_of!(abi::Atom, ret_ptr) == offset_of!(C, ret_ptr));
    assert!(offset_of!(abi::Atom, next) == offset_of!(C, next));
    assert!(offset_of!(abi::Atom, arg_ptr) == offset_of!(C, arg_ptr));
    assert!(offset_of!(abi::Atom, private) == offset_of!(C, private));
    assert!(abi::SYSLET_ASYNC == bindings::SYSLET_ASYNC);
    assert!(abi::SYSLET_SYNC == bindings::SYSLET_SYNC);
    assert!(abi::SYSLET_NO_COMPLETE == bindings::SYSLET_NO_COMPLETE);
    assert!(abi::SYSLET_STOP_ON_NONZERO == bindings::SYSLET_STOP_ON_NONZERO);
    assert!(abi::SYSLET_STOP_ON_ZERO == bindings::SYSLET_STOP_ON_ZERO);
    assert!(abi::SYSLET_STOP_ON_NEGATIVE == bindings::SYSLET_STOP_ON_NEGATIVE);
    assert!(abi::SYSLET_STOP_ON_NON_POSITIVE == bindings::SYSLET_STOP_ON_NON_POSITIVE);
    assert!(abi::SYSLET_SKIP_TO_NEXT_ON_STOP == bindings::SYSLET_SKIP_TO_NEXT_ON_STOP);
    assert!(abi::RING_STATUS_MASK == bindings::SYSLET_RING_STATUS_MASK as u64);
    assert!(abi::RING_FAULT == bindings::SYSLET_RING_FAULT as u64);
    assert!(abi::RING_INVAL == bindings::SYSLET_RING_INVAL as u64);
};

/// Converts a result into the value a system call returns.
fn to_syscall_ret(res: Result<u64>) -> c_long {
    match res {
        // The new value is returned as is: a value in the errno range is
        // only ambiguous for callers that pass an invalid pointer.
        Ok(val) => val as c_long,
        Err(err) => err.to_errno() as c_long,
    }
}

/// `async_exec(2)`: runs the chain of atoms at `atom`; returns the address
/// of the atom it ended on, or a negative errno.  A seccomp kill decided for
/// an atom is returned in `kill`, for the C caller to carry out.
///
/// # Safety
///
/// `atom` is an untrusted user-space address that is only accessed through
/// the user-memory API; `kill` points to a valid `struct syslet_kill`.
#[export]
pub unsafe extern "C" fn syslet_async_exec(
    atom: *mut bindings::syslet_uatom,
    kill: *mut bindings::syslet_kill,
) -> c_long {
    let mut verdict = None;
    let ret = to_syscall_ret(exec::exec(UserPtr::from_ptr(atom.cast()), &mut verdict));
    if let Some(exec::SeccompKill { nr, how }) = verdict {
        // SAFETY: As the function's safety requirement says.
        let kill = unsafe { &mut *kill };
        kill.pending = true;
        kill.nr = nr as c_int;
        kill.how = how as c_long;
    }
    ret
}

/// `async_register(2)` with a registration copied from user space.
///
/// # Safety
///
/// `head` points to a valid `struct async_head_user`.
#[export]
pub unsafe extern "C" fn syslet_async_register(head: *const bindings::async_head_user) -> c_long {
    // SAFETY: As the function's safety requirement says.
    let head = unsafe { &*head };
    to_syscall_ret(registration::register(head).map(|()| 0))
}

/// `async_register(2)` with `NULL`: drops the calling thread's registration.
#[export]
pub extern "C" fn syslet_async_unregister() -> c_long {
    to_syscall_ret(registration::unregister().map(|()| 0))
}

/// `async_wait(2)`; `deadline` is the end of the timeout on the monotonic
/// clock in ns, `i64::MAX` for none.
#[export]
pub extern "C" fn syslet_async_wait(min_events: c_ulong, deadline: i64) -> c_long {
    let deadline = glue::Deadline(deadline);
    to_syscall_ret(registration::wait(min_events as u64, deadline).map(|n| n as u64))
}

/// Called by `sched_submit_work()` when a task with `PF_SYSLET` is about
/// to sleep: offers its handoff to an idle pool thread.
///
/// # Safety
///
/// `tsk` is the current task.
#[export]
pub unsafe extern "C" fn syslet_sleeping(tsk: *mut bindings::task_struct) {
    // SAFETY: `tsk` is current, valid while it runs.
    registration::sleeping(unsafe { &*tsk.cast::<Task>() });
}

/// Called when a task exits or execs: drops its registration, if any.
///
/// # Safety
///
/// `tsk` is the current task.
#[export]
pub unsafe extern "C" fn syslet_exit(tsk: *mut bindings::task_struct) {
    // SAFETY: `tsk` is current, valid while it runs.
    if !unsafe { (*tsk).syslet }.is_null() {
        registration::task_exit();
    }
}

/// `umem_add(2)`: atomically adds `inc` to the `u64` at `uptr` and returns
/// the new value.
///
/// # Safety
///
/// None beyond the C prototype: `uptr` is an untrusted user-space address
/// that is only accessed through the user-memory API.
#[export]
pub unsafe extern "C" fn syslet_umem_add(uptr: *mut u64, inc: u64) -> c_long {
    to_syscall_ret(umem::umem_add(UserPtr::from_ptr(uptr.cast()), inc))
}
