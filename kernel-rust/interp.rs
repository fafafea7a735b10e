// SPDX-License-Identifier: GPL-2.0

//! The atom interpreter: runs a chain of atoms to its end.
//!
//! Host-testable: everything it needs from the kernel (user memory, the
//! system call table, signals) goes through the [`Env`] trait, which the
//! kernel implements in `exec.rs` and the host tests implement with mocks.
//!
//! Each atom is copied from user memory once per execution; its arguments
//! are loaded through `arg_ptr[]` right before its system call runs, so an
//! earlier atom (typically `umem_add()`) can change them.  A loop re-reads
//! its atoms on every pass.

use crate::abi::{Atom, AtomFlags, ATOM_SIZE};

/// A user pointer could not be accessed (`EFAULT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fault;

/// Why a chain ended without reaching its end (the syscall's errno).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChainError {
    /// An atom, an argument or a result pointer faulted (`EFAULT`).
    Fault,
    /// An atom's flags are invalid, or the atom is not 8-byte aligned
    /// (`EINVAL`).
    InvalidFlags,
    /// A fatal signal is pending (`EINTR`); the task is exiting.
    Killed,
    /// Seccomp kills the caller for atom system call `nr`; `how` is the
    /// filter's verdict.  The caller carries it out once it unwound.
    SeccompKill { nr: u32, how: i64 },
}

impl From<Fault> for ChainError {
    fn from(_: Fault) -> Self {
        ChainError::Fault
    }
}

/// How a system call came back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SysRet {
    /// It ran (or seccomp made it fail with an errno, which is the same to
    /// user space) and returned this value.
    Ran(i64),
    /// It may not run as an atom (allowlist, seccomp): the value (a negative
    /// errno) is stored as its result and the chain ends at this atom.
    Refused(i64),
    /// Seccomp kills the caller for it (the value says how): nothing is
    /// stored and the chain ends.
    Kill(i64),
}

/// What to do at an atom boundary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Boundary {
    /// Go on with the next atom.
    Continue,
    /// A signal is pending: end the chain here, so that its handler runs.
    Interrupt,
    /// A fatal signal is pending.
    Kill,
}

/// The kernel services the interpreter runs on.
pub(crate) trait Env {
    /// Copies the atom at `uaddr` from user memory into `atom` (which
    /// holds garbage if it faults).
    fn read_atom(&mut self, uaddr: u64, atom: &mut Atom) -> Result<(), Fault>;
    /// Loads the arguments through `arg_ptr` into `args`, up to the first
    /// 0; the others are 0.  Faults on the first pointer that cannot be
    /// read.
    fn read_args(&mut self, arg_ptr: &[u64; 6], args: &mut [u64; 6]) -> Result<(), Fault>;
    /// Stores a result through `ret_ptr`.
    fn write_result(&mut self, uaddr: u64, val: i64) -> Result<(), Fault>;
    /// Runs system call `nr`, if it may run as an atom.
    fn syscall(&mut self, nr: u32, args: &[u64; 6]) -> SysRet;
    /// Called between two atoms, never before the first: reschedules if
    /// needed and reports pending signals.
    fn boundary(&mut self) -> Boundary;
    /// Called once per chain with the first atom's flags, after they were
    /// validated and before its system call runs (`SYSLET_ASYNC` and
    /// `SYSLET_SYNC` apply to the whole chain).
    fn start(&mut self, _flags: AtomFlags) {}
    /// Called for every atom that ran and is not the one the chain ends on,
    /// after its result was stored.
    fn atom_done(&mut self, _uaddr: u64, _flags: AtomFlags) {}
}

/// Where [`run_atom`] loads an atom and its arguments: one of each per
/// chain, filled in place, so that nothing is copied around per atom.
#[derive(Default)]
struct Scratch {
    atom: Atom,
    args: [u64; 6],
}

/// Runs the single atom at `uaddr`: loads it and its arguments, runs its
/// system call, stores the result, and returns the address of the atom to
/// run next (0 when the chain ends at this one) and the atom's flags.
/// Calls [`Env::start`] first if this is the chain's `first` atom.
fn run_atom<E: Env>(
    env: &mut E,
    uaddr: u64,
    first: bool,
    scratch: &mut Scratch,
) -> Result<(u64, AtomFlags), ChainError> {
    let Scratch { atom, args } = scratch;
    env.read_atom(uaddr, atom)?;
    // Aligned atoms leave the low bits of ring entries to their status.
    if uaddr % 8 != 0 {
        return Err(ChainError::InvalidFlags);
    }
    let flags = AtomFlags::new(atom.flags).map_err(|_| ChainError::InvalidFlags)?;
    if first {
        env.start(flags);
    }
    env.read_args(&atom.arg_ptr, args)?;
    let sysret = env.syscall(atom.nr, args);
    let ret = match sysret {
        SysRet::Ran(ret) | SysRet::Refused(ret) => ret,
        SysRet::Kill(how) => return Err(ChainError::SeccompKill { nr: atom.nr, how }),
    };
    if atom.ret_ptr != 0 {
        env.write_result(atom.ret_ptr, ret)?;
    }
    let next = match sysret {
        SysRet::Refused(_) | SysRet::Kill(_) => 0,
        SysRet::Ran(ret) if !flags.stops_on(ret) => atom.next,
        SysRet::Ran(_) if flags.skip_to_next_on_stop() => {
            uaddr.checked_add(ATOM_SIZE).ok_or(ChainError::Fault)?
        }
        SysRet::Ran(_) => 0,
    };
    Ok((next, flags))
}

/// Runs the chain that starts at `first` and returns the address of the
/// atom it ended on.
///
/// A chain ends at an atom whose `next` is 0, at a stop without
/// `SYSLET_SKIP_TO_NEXT_ON_STOP`, at a refused system call, and at a
/// boundary where a signal is pending (the last atom that ran is returned).
/// Results already stored stay stored when a later atom fails.
pub(crate) fn run_chain<E: Env>(env: &mut E, first: u64) -> Result<u64, ChainError> {
    let mut uaddr = first;
    let mut is_first = true;
    let mut scratch = Scratch::default();
    loop {
        let (next, flags) = run_atom(env, uaddr, is_first, &mut scratch)?;
        is_first = false;
        if next == 0 {
            return Ok(uaddr);
        }
        match env.boundary() {
            Boundary::Continue => {
                env.atom_done(uaddr, flags);
                uaddr = next;
            }
            Boundary::Interrupt => return Ok(uaddr),
            Boundary::Kill => return Err(ChainError::Killed),
        }
    }
}
