// SPDX-License-Identifier: GPL-2.0

//! A mock kernel for the interpreter: flat user memory with a read-only
//! part, a small system call table and scripted signals.

use crate::abi::{Atom, AtomFlags, ATOM_SIZE};
use crate::interp::{Boundary, Env, Fault, SysRet};

pub const BASE: u64 = 0x10_0000;
pub const SIZE: u64 = 0x1_0000;
/// The last page of the mock memory is read-only.
pub const RO_START: u64 = BASE + SIZE - 0x1000;

pub const EFAULT: i64 = 14;
pub const ENOSYS: i64 = 38;

/// Mock system calls.
pub const NR_ADD: u32 = 0; // a0 + a1
pub const NR_UMEM_ADD: u32 = 1; // *a0 += a1, returns the new value
pub const NR_RET: u32 = 2; // returns a0
pub const NR_READ: u32 = 3; // reads up to a2 bytes of the mock file
pub const NR_SEQ: u32 = 4; // records its args, returns the call count
pub const NR_FORBIDDEN: u32 = 99; // not on the allowlist
pub const NR_KILLED: u32 = 98; // seccomp kills the caller for it

pub struct Mock {
    pub mem: Vec<u8>,
    pub calls: Vec<(u32, [u64; 6])>,
    pub boundaries: usize,
    /// Boundary number (1-based) at which a signal is pending.
    pub interrupt_at: Option<usize>,
    /// Boundary number at which a fatal signal is pending.
    pub kill_at: Option<usize>,
    /// Bytes left in the mock file, and the largest read it serves.
    pub file_left: u64,
    /// Flags passed to `Env::start`, once per chain.
    pub started: Vec<AtomFlags>,
    /// Atoms reported to `Env::atom_done`, with their flags.
    pub done: Vec<(u64, AtomFlags)>,
}

impl Mock {
    pub fn new() -> Self {
        Self {
            mem: vec![0; SIZE as usize],
            calls: Vec::new(),
            boundaries: 0,
            interrupt_at: None,
            kill_at: None,
            file_left: 0,
            started: Vec::new(),
            done: Vec::new(),
        }
    }

    fn range(&self, uaddr: u64, len: u64) -> Result<std::ops::Range<usize>, Fault> {
        let end = uaddr.checked_add(len).ok_or(Fault)?;
        if uaddr < BASE || end > BASE + SIZE {
            return Err(Fault);
        }
        Ok((uaddr - BASE) as usize..(end - BASE) as usize)
    }

    pub fn load(&self, uaddr: u64) -> Result<u64, Fault> {
        let r = self.range(uaddr, 8)?;
        Ok(u64::from_le_bytes(self.mem[r].try_into().unwrap()))
    }

    pub fn store(&mut self, uaddr: u64, val: u64) -> Result<(), Fault> {
        let r = self.range(uaddr, 8)?;
        if uaddr + 8 > RO_START {
            return Err(Fault);
        }
        self.mem[r].copy_from_slice(&val.to_le_bytes());
        Ok(())
    }

    /// Test setup: writes a u64 anywhere, read-only part included.
    pub fn poke(&mut self, uaddr: u64, val: u64) {
        let r = self.range(uaddr, 8).unwrap();
        self.mem[r].copy_from_slice(&val.to_le_bytes());
    }

    pub fn put_atom(&mut self, uaddr: u64, atom: &Atom) {
        let words = [
            u64::from(atom.flags) | (u64::from(atom.nr) << 32),
            atom.ret_ptr,
            atom.next,
            atom.arg_ptr[0],
            atom.arg_ptr[1],
            atom.arg_ptr[2],
            atom.arg_ptr[3],
            atom.arg_ptr[4],
            atom.arg_ptr[5],
            atom.private,
        ];
        for (i, w) in words.iter().enumerate() {
            self.poke(uaddr + 8 * i as u64, *w);
        }
    }

    pub fn calls_of(&self, nr: u32) -> usize {
        self.calls.iter().filter(|c| c.0 == nr).count()
    }
}

impl Env for Mock {
    fn read_atom(&mut self, uaddr: u64, atom: &mut Atom) -> Result<(), Fault> {
        let r = self.range(uaddr, ATOM_SIZE)?;
        let b = &self.mem[r];
        let w = |i: usize| u64::from_le_bytes(b[8 * i..8 * i + 8].try_into().unwrap());
        *atom = Atom {
            flags: w(0) as u32,
            nr: (w(0) >> 32) as u32,
            ret_ptr: w(1),
            next: w(2),
            arg_ptr: [w(3), w(4), w(5), w(6), w(7), w(8)],
            private: w(9),
        };
        Ok(())
    }

    fn read_args(&mut self, arg_ptr: &[u64; 6], args: &mut [u64; 6]) -> Result<(), Fault> {
        *args = [0; 6];
        for (arg, &ptr) in args.iter_mut().zip(arg_ptr.iter()) {
            if ptr == 0 {
                break;
            }
            *arg = self.load(ptr)?;
        }
        Ok(())
    }

    fn write_result(&mut self, uaddr: u64, val: i64) -> Result<(), Fault> {
        self.store(uaddr, val as u64)
    }

    fn syscall(&mut self, nr: u32, args: &[u64; 6]) -> SysRet {
        self.calls.push((nr, *args));
        let ret = match nr {
            NR_ADD => args[0].wrapping_add(args[1]) as i64,
            NR_UMEM_ADD => match self.load(args[0]) {
                Ok(old) => {
                    let new = old.wrapping_add(args[1]);
                    match self.store(args[0], new) {
                        Ok(()) => new as i64,
                        Err(Fault) => -EFAULT,
                    }
                }
                Err(Fault) => -EFAULT,
            },
            NR_RET => args[0] as i64,
            NR_READ => {
                let n = self.file_left.min(args[2]);
                self.file_left -= n;
                n as i64
            }
            NR_SEQ => self.calls.len() as i64,
            NR_KILLED => return SysRet::Kill(0x8000_0000),
            _ => return SysRet::Refused(-ENOSYS),
        };
        SysRet::Ran(ret)
    }

    fn boundary(&mut self) -> Boundary {
        self.boundaries += 1;
        if self.kill_at == Some(self.boundaries) {
            Boundary::Kill
        } else if self.interrupt_at == Some(self.boundaries) {
            Boundary::Interrupt
        } else {
            Boundary::Continue
        }
    }

    fn start(&mut self, flags: AtomFlags) {
        self.started.push(flags);
    }

    fn atom_done(&mut self, uaddr: u64, flags: AtomFlags) {
        self.done.push((uaddr, flags));
    }
}
