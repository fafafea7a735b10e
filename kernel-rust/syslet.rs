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
//! - [`umem`]: `umem_add()`, atomic addition to a word of user memory.
//! - [`uword`]: locating an aligned user word in its page (host-testable).
//!
//! Modules whose names say "host-testable" use no kernel types; the host
//! Cargo workspace that ships with the series builds them for `cargo test`.

use kernel::{prelude::*, uaccess::UserPtr};

mod umem;
mod uword;

/// Converts a result into the value a system call returns.
fn to_syscall_ret(res: Result<u64>) -> c_long {
    match res {
        // The new value is returned as is: a value in the errno range is
        // only ambiguous for callers that pass an invalid pointer.
        Ok(val) => val as c_long,
        Err(err) => err.to_errno() as c_long,
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
