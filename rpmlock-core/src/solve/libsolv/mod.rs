//! The only unsafe code of the crate: a small RAII wrapper over libsolv's C API.
//!
//! Each C object is owned by exactly one Rust value ([`Pool`], [`Solver`], [`Queue`]);
//! a [`Solver`] borrows its [`Pool`] mutably, so the pool outlives it and nothing else
//! can read the pool while a solve may change it. Ids cross the boundary as typed
//! newtypes, and every id is checked against the pool's bounds before it is used to
//! index libsolv's arrays (a wrong id is a panic, never a stray read).
//!
//! Invariants the types and checks keep:
//! - [`Pool`] is `Send` (it is built on one thread and may be moved to the one that
//!   solves) but not `Sync`: every change takes `&mut self`.
//! - Strings borrowed from the pool ([`Pool::str`], [`Pool::solvable_nea`]) live in
//!   its string space, which moves when a string is added: adding takes `&mut self`,
//!   and a [`Solver`] holds `&mut Pool` (libsolv may add relations while solving), so
//!   no borrowed string survives an intern or a solve.
//! - [`Pool::whatprovides`] and [`Solver::new`] need the whatprovides index built by
//!   [`Pool::prepare`]; the pool records whether it is current (adding repos or
//!   solvables makes it stale), and using it stale is refused.
#![allow(unsafe_code)]

use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::marker::PhantomData;
use std::ptr::NonNull;

use libsolv_sys::ffi;

/// Serialises rpm database reads: librpm's macro context is process-wide.
static RPMDB_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

// The stdio calls libsolv's solv reader and writer need, and the dynamic loader's
// (glibc's own since 2.34) that open libsolvext.
unsafe extern "C" {
    fn dlopen(file: *const c_char, mode: c_int) -> *mut c_void;
    fn dlsym(handle: *mut c_void, name: *const c_char) -> *mut c_void;
    fn dlerror() -> *mut c_char;
    fn fopen(path: *const c_char, mode: *const c_char) -> *mut ffi::FILE;
    fn fmemopen(buf: *mut c_void, size: usize, mode: *const c_char) -> *mut ffi::FILE;
    fn fclose(file: *mut ffi::FILE) -> c_int;
    /// glibc's `<stdio_ext.h>`: who locks the stream.
    fn __fsetlocking(file: *mut ffi::FILE, kind: c_int) -> c_int;
}

/// `RTLD_NOW`: every symbol of the library resolved when it is opened.
const RTLD_NOW: c_int = 2;

/// The two functions of libsolvext (libsolv's extension library) rpmlock calls:
/// rich dependencies (`pool_parserpmrichdep`, exported by libsolvext but not bound by
/// libsolv-sys) and rpm databases (`repo_add_rpmdb_reffp`). libsolvext links librpm
/// and its dozen libraries (lua, sqlite, gcrypt...): linked into the program, loading
/// them took about half of a warm run's 7 ms. It is opened on the first call instead,
/// which a run without rich dependencies to parse and without an installed system
/// (every run that reads its repos from the cache) never makes.
struct Ext {
    parserpmrichdep: ParseRichDep,
    add_rpmdb_reffp: AddRpmdbReffp,
}

/// `pool_parserpmrichdep` (ext/pool_parserpmrichdep.h).
type ParseRichDep = unsafe extern "C" fn(*mut ffi::Pool, *const c_char) -> ffi::Id;
/// `repo_add_rpmdb_reffp` (ext/repo_rpmdb.h).
type AddRpmdbReffp = unsafe extern "C" fn(*mut ffi::Repo, *mut ffi::FILE, c_int) -> c_int;

/// The library names tried, in order: the runtime soname (every distribution ships
/// libsolvext as `.so.1`), then the development link.
const EXT_NAMES: [&CStr; 2] = [c"libsolvext.so.1", c"libsolvext.so"];

static EXT: std::sync::OnceLock<Result<Ext, String>> = std::sync::OnceLock::new();

/// libsolvext's functions, the library opened on the first call (and kept open).
fn ext() -> Result<&'static Ext, LibsolvError> {
    EXT.get_or_init(open_ext)
        .as_ref()
        .map_err(|e| LibsolvError(e.clone()))
}

fn open_ext() -> Result<Ext, String> {
    let mut errors = Vec::new();
    for name in EXT_NAMES {
        // SAFETY: a NUL-terminated name; dlopen runs the library's initialisers
        // (librpm's), which set up nothing this process relies on. The handle is never
        // closed, so the symbols stay valid for the life of the process.
        let handle = unsafe { dlopen(name.as_ptr(), RTLD_NOW) };
        if handle.is_null() {
            errors.push(dl_error());
            continue;
        }
        let symbol = |sym: &CStr| {
            // SAFETY: a live handle and a NUL-terminated symbol name.
            let p = unsafe { dlsym(handle, sym.as_ptr()) };
            if p.is_null() {
                Err(format!(
                    "{}: no symbol {}: {}",
                    name.to_string_lossy(),
                    sym.to_string_lossy(),
                    dl_error()
                ))
            } else {
                Ok(p)
            }
        };
        let parse = symbol(c"pool_parserpmrichdep")?;
        let rpmdb = symbol(c"repo_add_rpmdb_reffp")?;
        // SAFETY: both symbols are libsolvext's functions of exactly these C
        // signatures (ext/pool_parserpmrichdep.h, ext/repo_rpmdb.h), for the libsolv
        // this program is linked with (libsolvext comes with it).
        return Ok(unsafe {
            Ext {
                parserpmrichdep: std::mem::transmute::<*mut c_void, ParseRichDep>(parse),
                add_rpmdb_reffp: std::mem::transmute::<*mut c_void, AddRpmdbReffp>(rpmdb),
            }
        });
    }
    Err(format!(
        "cannot load libsolvext (libsolv's extension library; Debian/Ubuntu: libsolvext1, Fedora: libsolv): {}",
        errors.join("; ")
    ))
}

/// The dynamic loader's last error.
fn dl_error() -> String {
    // SAFETY: dlerror returns NULL or a NUL-terminated message it owns, read at once.
    let e = unsafe { dlerror() };
    if e.is_null() {
        "unknown error".to_string()
    } else {
        // SAFETY: non-NULL, NUL-terminated (above).
        unsafe { CStr::from_ptr(e) }.to_string_lossy().into_owned()
    }
}

/// `FSETLOCKING_BYCALLER`: stdio no longer takes the stream's lock on every call.
/// libsolv reads and writes `.solv` files one `getc`/`putc` at a time, and each call
/// took (an uncontended) lock: 8% of a warm resolution.
const FSETLOCKING_BYCALLER: c_int = 2;

// glibc's heap tuning (see `release_freed_memory` and `tune_process_heap`).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
unsafe extern "C" {
    fn malloc_trim(pad: usize) -> c_int;
    fn mallopt(param: c_int, value: c_int) -> c_int;
    fn malloc(size: usize) -> *mut c_void;
    fn free(ptr: *mut c_void);
    fn sbrk(increment: isize) -> *mut c_void;
    fn madvise(addr: *mut c_void, len: usize, advice: c_int) -> c_int;
}

/// glibc's `mallopt` parameters.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod m {
    use std::ffi::c_int;
    pub const TRIM_THRESHOLD: c_int = -1;
    pub const TOP_PAD: c_int = -2;
    pub const MMAP_THRESHOLD: c_int = -3;
    pub const ARENA_MAX: c_int = -8;
    /// Linux's `MADV_HUGEPAGE`.
    pub const MADV_HUGEPAGE: c_int = 14;
}

/// While cached pools are read, blocks below this come from the heap, not from an
/// `mmap` of their own (glibc's largest setting on 64-bit), so that they are backed
/// by huge pages too.
const HEAP_MMAP_THRESHOLD: usize = 32 << 20;
/// How far the heap grows at a time, in address space only (pages are allocated
/// when first written): the range advised for huge pages.
const HEAP_TOP_PAD: usize = 128 << 20;
/// Free memory at the top of the heap is handed back past this, not before, so the
/// advised range stays mapped.
const HEAP_TRIM_THRESHOLD: usize = 256 << 20;
/// The huge page size the heap advice is aligned to (x86-64's and arm64's PMD
/// size with 4 KiB pages; a multiple of every smaller page size).
const HUGE_PAGE: usize = 2 << 20;

/// Tunes glibc's allocator for one short-lived run that builds large libsolv pools
/// (libsolv allocates with `malloc`). Every thread allocates from one heap arena: a
/// cold run spreads its allocations over a dozen short-lived threads (decompression,
/// parse workers, pool builders); with an arena each, glibc keeps each one's freed
/// pages apart and the peak grows with every arch (four arches: 122 MB against 80 MB
/// with one arena, for the same time: the hot paths hardly allocate). It also lets
/// [`heap_for_cached_pools`] back the heap with huge pages once a run reads pools
/// from the cache.
///
/// For a program's `main`, before it starts threads: a library must not change its
/// host's allocator, so `rpmlock-core` never calls it itself, and
/// [`heap_for_cached_pools`] does nothing unless it was called. (No-op off glibc.)
pub fn tune_process_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only sets a glibc tuning parameter; M_ARENA_MAX limits
        // arenas created from now on and invalidates no allocation.
        if unsafe { mallopt(m::ARENA_MAX, 1) } == 1 {
            ONE_HEAP_ARENA.store(true, std::sync::atomic::Ordering::Relaxed);
            // The user's own malloc tunables win.
            let user_tuned =
                std::env::var("GLIBC_TUNABLES").is_ok_and(|t| t.contains("glibc.malloc."));
            if !user_tuned {
                // Where the heap ends at the start of the program (where the advice
                // starts); without one, nothing is advised.
                if let Some(base) = program_break() {
                    HEAP_BASE.store(base, std::sync::atomic::Ordering::Relaxed);
                }
            }
        }
    }
}

/// Where the heap ends now (the program break); `None` when sbrk fails.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn program_break() -> Option<usize> {
    // SAFETY: sbrk(0) only reads the program break.
    let at = unsafe { sbrk(0) } as usize;
    // sbrk's failure value is (void *) -1.
    (at != usize::MAX).then_some(at)
}

/// The program break when [`tune_process_heap`] ran, where [`heap_for_cached_pools`]'s
/// advice starts; 0 when it may not act.
static HEAP_BASE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Before a run reads repos from their cache files: large blocks now come from the
/// heap, which grows by 128 MiB of address space at once, and that range is advised
/// for transparent huge pages (`MADV_HUGEPAGE`, for systems set to `madvise`), so one
/// page fault maps 2 MiB instead of 4 KiB. Reading the benchmark's cached `.solv`
/// file faulted in ~17,000 pages, each zeroed, then copied on its first write with a
/// TLB shootdown to the other core: half the run was the kernel's. A warm run
/// without the resolution cache takes 0.64-0.70x the time, for a peak 2 MB higher.
///
/// Not for a cold run's parse: there huge pages held memory that 4 KiB pages leave
/// untouched (buffer capacities), 72 -> 86 MB at the peak, for no measurable time.
/// Acts once, and only in a process that called [`tune_process_heap`].
pub fn heap_for_cached_pools() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        let base = HEAP_BASE.load(std::sync::atomic::Ordering::Relaxed);
        if base != 0 {
            ONCE.call_once(|| advise_heap_huge_pages(base));
        }
    }
}

/// Sets the heap's thresholds and growth, makes it grow once, and advises the heap
/// from `base` (the break at start-up) to its new end for huge pages (see
/// [`heap_for_cached_pools`]): what is already faulted in keeps its pages, the rest,
/// the free top included, gets huge ones.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn advise_heap_huge_pages(base: usize) {
    let int = |v: usize| c_int::try_from(v).unwrap_or(c_int::MAX);
    // SAFETY: mallopt only sets glibc tuning parameters (under the arena's lock) and
    // invalidates no allocation.
    let set = unsafe {
        mallopt(m::MMAP_THRESHOLD, int(HEAP_MMAP_THRESHOLD)) == 1
            && mallopt(m::TRIM_THRESHOLD, int(HEAP_TRIM_THRESHOLD)) == 1
            && mallopt(m::TOP_PAD, int(HEAP_TOP_PAD)) == 1
    };
    if !set {
        return;
    }
    // Usually more than the free top of the heap: glibc then grows the heap by it
    // plus the top pad (if not, the advice covers the large free top).
    // (black_box: the compiler knows malloc and would drop the pair.)
    // SAFETY: the malloc/free pair is a block this function owns alone; freed, it
    // stays in the heap (below the trim threshold).
    let after = unsafe {
        let probe = std::hint::black_box(malloc(1 << 20));
        let after = program_break();
        if !probe.is_null() {
            free(probe);
        }
        after
    };
    let Some(after) = after.filter(|&after| after > base) else {
        return;
    };
    let start = base.next_multiple_of(HUGE_PAGE);
    let end = after - after % HUGE_PAGE;
    if end > start {
        // SAFETY: between `base` and the break is the heap (the heap keeps the top
        // pad when trimmed). madvise(MADV_HUGEPAGE) changes how pages of the range are
        // backed, never their content, and fails harmlessly where nothing is mapped.
        unsafe { madvise(start as *mut c_void, end - start, m::MADV_HUGEPAGE) };
    }
}

/// Set once [`tune_process_heap`]'s arena limit took effect.
static ONE_HEAP_ARENA: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Hands the heap memory freed so far back to the operating system: the pools of one
/// arch are gone before the next arch's are built, and glibc keeps freed pages in each
/// thread's arena, where the next arch's threads may not reuse them. Without it, every
/// arch of a multi-arch run adds to the peak. With one arena for every thread
/// ([`tune_process_heap`]) the next arch reuses those pages anyway: trimming then
/// only costs time (the four-arch benchmark: 14 ms of system time more per run, and a
/// peak 3 MB higher, as the next arch faults the pages back in), so it is skipped.
/// (No-op off glibc.)
pub fn release_freed_memory() {
    if ONE_HEAP_ARENA.load(std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks glibc's own arenas (under their locks) and
    // returns unused pages; it takes no pointer and invalidates no allocation.
    unsafe {
        malloc_trim(0);
    }
}

/// Which dependency array of a solvable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepKind {
    /// Provides (file provides included).
    Provides,
    /// Obsoletes.
    Obsoletes,
    /// Requires (`Requires(pre)` included: the prereq marker is skipped).
    Requires,
    /// Recommends.
    Recommends,
    /// Supplements.
    Supplements,
}

/// An error reported by libsolv itself.
#[derive(Debug, thiserror::Error)]
#[error("libsolv: {0}")]
pub struct LibsolvError(pub String);

/// A dependency or string id of one pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DepId(ffi::Id);

/// A solvable (package) id of one pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SolvableId(ffi::Id);

impl SolvableId {
    /// The raw id as an index (solvable ids are dense, starting at 2).
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A repository of one pool (index into the pool's repo list).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RepoId(usize);

/// Relation flags for [`Pool::rel`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rel {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `=`
    Eq,
    /// `>=`
    Ge,
    /// `>`
    Gt,
}

impl Rel {
    fn flags(self) -> c_int {
        let (gt, eq, lt) = (
            ffi::REL_GT as c_int,
            ffi::REL_EQ as c_int,
            ffi::REL_LT as c_int,
        );
        match self {
            Rel::Lt => lt,
            Rel::Le => lt | eq,
            Rel::Eq => eq,
            Rel::Ge => gt | eq,
            Rel::Gt => gt,
        }
    }
}

/// The dependency arrays of a solvable.
#[derive(Debug, Default)]
pub struct SolvableDeps {
    /// Provides.
    pub provides: Vec<DepId>,
    /// Requires (`pre == false`).
    pub requires: Vec<DepId>,
    /// `Requires(pre)` entries.
    pub prereqs: Vec<DepId>,
    /// Conflicts.
    pub conflicts: Vec<DepId>,
    /// Obsoletes.
    pub obsoletes: Vec<DepId>,
    /// Recommends.
    pub recommends: Vec<DepId>,
    /// Suggests.
    pub suggests: Vec<DepId>,
    /// Supplements.
    pub supplements: Vec<DepId>,
    /// Enhances.
    pub enhances: Vec<DepId>,
}

impl SolvableDeps {
    /// Empties every list, keeping the allocations.
    pub fn clear(&mut self) {
        for list in [
            &mut self.provides,
            &mut self.requires,
            &mut self.prereqs,
            &mut self.conflicts,
            &mut self.obsoletes,
            &mut self.recommends,
            &mut self.suggests,
            &mut self.supplements,
            &mut self.enhances,
        ] {
            list.clear();
        }
    }
}

/// A libsolv `Queue`, freed on drop.
pub struct Queue {
    raw: ffi::Queue,
}

impl Queue {
    /// An empty queue.
    pub fn new() -> Self {
        let mut raw = std::mem::MaybeUninit::<ffi::Queue>::uninit();
        // SAFETY: queue_init fully initialises the struct it is given.
        unsafe { ffi::queue_init(raw.as_mut_ptr()) };
        // SAFETY: initialised just above.
        Queue {
            raw: unsafe { raw.assume_init() },
        }
    }

    /// Appends one id.
    pub fn push(&mut self, id: ffi::Id) {
        // SAFETY: self.raw is an initialised queue; queue_insert grows it as needed.
        unsafe { ffi::queue_insert(&mut self.raw, self.raw.count, id) };
    }

    /// The elements.
    pub fn as_slice(&self) -> &[ffi::Id] {
        if self.raw.count == 0 || self.raw.elements.is_null() {
            return &[];
        }
        // SAFETY: elements points to `count` initialised ids owned by the queue.
        unsafe { std::slice::from_raw_parts(self.raw.elements, self.raw.count as usize) }
    }

    fn as_mut_ptr(&mut self) -> *mut ffi::Queue {
        &mut self.raw
    }
}

impl Default for Queue {
    fn default() -> Self {
        Queue::new()
    }
}

impl Drop for Queue {
    fn drop(&mut self) {
        // SAFETY: the queue was initialised by queue_init and is freed once.
        unsafe { ffi::queue_free(&mut self.raw) };
    }
}

/// A libsolv pool configured for rpm, with one target arch.
pub struct Pool {
    raw: NonNull<ffi::Pool>,
    repos: Vec<NonNull<ffi::Repo>>,
    /// The `considered` map handed to libsolv (owned here, detached before free).
    considered: Option<Box<ffi::Map>>,
    /// Whether the whatprovides index is current ([`Pool::prepare`] since the last
    /// repo or solvable was added).
    prepared: bool,
    // Not Sync: libsolv pools are single-threaded (Send is implemented below).
    _marker: PhantomData<*mut ()>,
}

// SAFETY: a pool is only ever used through its single owner (`&mut self` for every
// change), so moving it to another thread cannot race; libsolv keeps no thread-local
// state for a pool, and the debug callback is a plain function.
unsafe impl Send for Pool {}

/// libsolv's log, routed to `tracing`.
unsafe extern "C" fn debug_callback(
    _pool: *mut ffi::Pool,
    _data: *mut c_void,
    kind: c_int,
    msg: *const c_char,
) {
    if msg.is_null() {
        return;
    }
    // SAFETY: libsolv passes a NUL-terminated message valid for this call.
    let text = unsafe { CStr::from_ptr(msg) }.to_string_lossy();
    let text = text.trim_end();
    if kind as u32 & (ffi::SOLV_FATAL | ffi::SOLV_ERROR) != 0 {
        tracing::warn!(target: "libsolv", "{text}");
    } else {
        tracing::trace!(target: "libsolv", "{text}");
    }
}

impl Pool {
    /// Creates a pool for `arch` the way dnf does: rpm semantics (checked), dnf's pool
    /// flags, Fedora's arch policy, and `arch` as the pool arch.
    pub fn new(arch: &str) -> Result<Pool, LibsolvError> {
        let arch_c = cstring(arch)?;
        // SAFETY: pool_create returns a new pool or NULL on allocation failure.
        let raw = NonNull::new(unsafe { ffi::pool_create() })
            .ok_or_else(|| LibsolvError("pool_create failed".into()))?;
        let pool = Pool {
            raw,
            repos: Vec::new(),
            considered: None,
            prepared: false,
            _marker: PhantomData,
        };
        let p = pool.raw.as_ptr();
        // SAFETY: p is a live pool owned by `pool` (freed by Drop on every early return).
        unsafe {
            ffi::pool_setdebugcallback(p, Some(debug_callback), std::ptr::null_mut());
            ffi::pool_setdebugmask(
                p,
                (ffi::SOLV_FATAL | ffi::SOLV_ERROR | ffi::SOLV_WARN) as c_int,
            );
            if ffi::pool_setdisttype(p, ffi::DISTTYPE_RPM as c_int) < 0 {
                return Err(LibsolvError(
                    "pool_setdisttype(DISTTYPE_RPM) refused: this libsolv was built without rpm support"
                        .into(),
                ));
            }
            ffi::pool_set_flag(p, ffi::POOL_FLAG_WHATPROVIDESWITHDISABLED as c_int, 1);
            ffi::pool_set_flag(p, ffi::POOL_FLAG_IMPLICITOBSOLETEUSESCOLORS as c_int, 1);
        }
        let mut pool = pool;
        pool.set_arch_c(arch, &arch_c)?;
        Ok(pool)
    }

    /// Makes `arch` the pool arch (with Fedora's policy for it), as [`Pool::new`] does:
    /// a pool whose repos were built for another arch (e.g. `noarch`, the `.solv`
    /// writer's) can then be solved for `arch`. Call before [`Pool::prepare`].
    pub fn set_arch(&mut self, arch: &str) -> Result<(), LibsolvError> {
        let arch_c = cstring(arch)?;
        self.set_arch_c(arch, &arch_c)
    }

    fn set_arch_c(&mut self, arch: &str, arch_c: &CStr) -> Result<(), LibsolvError> {
        let p = self.ptr();
        // SAFETY: p is a live pool; libsolv copies the strings.
        unsafe {
            ffi::pool_setarch(p, arch_c.as_ptr());
            if let Some(policy) = fedora_arch_policy(arch) {
                let policy = cstring(policy)?;
                ffi::pool_setarchpolicy(p, policy.as_ptr());
            }
        }
        Ok(())
    }

    /// Sets a repository's libsolv priorities (already negated as dnf does).
    pub fn set_repo_priority(&mut self, repo: RepoId, priority: i32, subpriority: i32) {
        let r = self.repos[repo.0].as_ptr();
        // SAFETY: r is a live repo of this pool.
        unsafe {
            (*r).priority = priority;
            (*r).subpriority = subpriority;
        }
    }

    fn ptr(&self) -> *mut ffi::Pool {
        self.raw.as_ptr()
    }

    /// Interns a string (a name, an EVR, a file path).
    pub fn intern(&mut self, s: &str) -> DepId {
        // SAFETY: the pointer/length pair describes `s`; libsolv copies the bytes.
        // pool_strn2id stops at NUL bytes, so interior NULs cannot overrun.
        DepId(unsafe {
            ffi::pool_strn2id(
                self.ptr(),
                s.as_ptr() as *const c_char,
                s.len() as std::ffi::c_uint,
                1,
            )
        })
    }

    /// The id of an already interned string, if any.
    pub fn lookup(&self, s: &str) -> Option<DepId> {
        // SAFETY: as in `intern`; create=0 never modifies the pool.
        let id = unsafe {
            ffi::pool_strn2id(
                self.ptr(),
                s.as_ptr() as *const c_char,
                s.len() as std::ffi::c_uint,
                0,
            )
        };
        (id != 0).then_some(DepId(id))
    }

    /// A versioned dependency `name OP evr`.
    pub fn rel(&mut self, name: DepId, rel: Rel, evr: DepId) -> DepId {
        // SAFETY: both ids belong to this pool; create=1 interns the relation.
        DepId(unsafe { ffi::pool_rel2id(self.ptr(), name.0, evr.0, rel.flags(), 1) })
    }

    /// Parses a rich dependency such as `(a or b)`; `None` when libsolv rejects it.
    /// One nested deeper than [`MAX_RICH_DEPTH`] is an error: libsolv's parser (and
    /// every later walk of the dependency: normalisation, rules, dep2str) recurses once
    /// per level on the C stack, and hostile metadata could nest it until the thread's
    /// stack overflows, which aborts the process.
    pub fn parse_rich(&mut self, s: &str) -> Result<Option<DepId>, LibsolvError> {
        let depth = rich_depth(s);
        if depth > MAX_RICH_DEPTH {
            return Err(LibsolvError(format!(
                "rich dependency nested {depth} levels deep (at most {MAX_RICH_DEPTH}): {}...",
                s.chars().take(40).collect::<String>()
            )));
        }
        let c = cstring(s)?;
        let parse = ext()?.parserpmrichdep;
        // SAFETY: c is NUL-terminated; the parser only reads it and interns ids.
        let id = unsafe { parse(self.ptr(), c.as_ptr()) };
        Ok((id != 0).then_some(DepId(id)))
    }

    /// Adds a repository with libsolv priorities (already negated as dnf does).
    pub fn add_repo(
        &mut self,
        name: &str,
        priority: i32,
        subpriority: i32,
    ) -> Result<RepoId, LibsolvError> {
        let c = cstring(name)?;
        // SAFETY: repo_create copies the name; the repo is owned by the pool.
        let repo = NonNull::new(unsafe { ffi::repo_create(self.ptr(), c.as_ptr()) })
            .ok_or_else(|| LibsolvError(format!("repo_create failed for {name}")))?;
        // SAFETY: repo is a live repo of this pool.
        unsafe {
            (*repo.as_ptr()).priority = priority;
            (*repo.as_ptr()).subpriority = subpriority;
        }
        self.repos.push(repo);
        self.prepared = false;
        Ok(RepoId(self.repos.len() - 1))
    }

    /// Adds one solvable to `repo`.
    pub fn add_solvable(
        &mut self,
        repo: RepoId,
        name: DepId,
        evr: DepId,
        arch: DepId,
        deps: &SolvableDeps,
    ) -> SolvableId {
        let r = self.repos[repo.0].as_ptr();
        self.prepared = false;
        // SAFETY: r is a live repo of this pool. repo_add_solvable may reallocate
        // pool->solvables, so the solvable pointer is taken afterwards and used only
        // until the next allocation (repo_addid_dep does not add solvables).
        unsafe {
            let id = ffi::repo_add_solvable(r);
            let s = (*self.ptr()).solvables.add(id as usize);
            (*s).name = name.0;
            (*s).evr = evr.0;
            (*s).arch = arch.0;
            let add = |mut off: ffi::Offset, ids: &[DepId], marker: ffi::Id| {
                for d in ids {
                    off = ffi::repo_addid_dep(r, off, d.0, marker);
                }
                off
            };
            (*s).provides = add(0, &deps.provides, 0);
            let mut req = add(0, &deps.requires, 0);
            if !deps.prereqs.is_empty() {
                req = add(
                    req,
                    &deps.prereqs,
                    ffi::solv_knownid_SOLVABLE_PREREQMARKER as ffi::Id,
                );
            }
            (*s).requires = req;
            (*s).conflicts = add(0, &deps.conflicts, 0);
            (*s).obsoletes = add(0, &deps.obsoletes, 0);
            (*s).recommends = add(0, &deps.recommends, 0);
            (*s).suggests = add(0, &deps.suggests, 0);
            (*s).supplements = add(0, &deps.supplements, 0);
            (*s).enhances = add(0, &deps.enhances, 0);
            SolvableId(id)
        }
    }

    /// Finishes loading: internalizes repos, adds file provides and builds the
    /// whatprovides index (`pool_addfileprovides_queue` + `pool_createwhatprovides`).
    pub fn prepare(&mut self) {
        let mut q = Queue::new();
        let mut q2 = Queue::new();
        // SAFETY: every repo pointer is live; the queues are initialised.
        unsafe {
            for r in &self.repos {
                ffi::repo_internalize(r.as_ptr());
            }
            ffi::pool_addfileprovides_queue(self.ptr(), q.as_mut_ptr(), q2.as_mut_ptr());
            ffi::pool_createwhatprovides(self.ptr());
        }
        self.prepared = true;
    }

    /// The solvable with raw id `id` (as libsolv hands them out in rule infos), if it
    /// is one of this pool's.
    pub fn solvable_id(&self, id: ffi::Id) -> Option<SolvableId> {
        // SAFETY: a live pool; nsolvables is a plain field.
        let n = unsafe { (*self.ptr()).nsolvables };
        (id > 0 && id < n).then_some(SolvableId(id))
    }

    /// Every solvable providing `dep` (after [`Pool::prepare`]).
    pub fn whatprovides(&self, dep: DepId) -> Vec<SolvableId> {
        assert!(
            self.prepared,
            "libsolv wrapper: whatprovides before prepare() (or after adding packages)"
        );
        let p = self.ptr();
        const RELBIT: u32 = 0x8000_0000;
        // SAFETY: prepare() built the whatprovides arrays (checked above); the id is
        // checked against the string and relation counts before it indexes them (the
        // arrays grow with them). This is libsolv's static inline pool_whatprovides().
        unsafe {
            let off = if dep.0 as u32 & RELBIT != 0 {
                let relid = (dep.0 as u32 ^ RELBIT) as usize;
                assert!(
                    relid < (*p).nrels as usize,
                    "libsolv wrapper: relation id out of range"
                );
                let cached = *(*p).whatprovides_rel.add(relid);
                if cached != 0 {
                    cached
                } else {
                    ffi::pool_addrelproviders(p, dep.0) as ffi::Offset
                }
            } else {
                assert!(
                    dep.0 > 0 && (dep.0 as usize) < (*p).ss.nstrings as usize,
                    "libsolv wrapper: string id out of range"
                );
                *(*p).whatprovides.add(dep.0 as usize)
            };
            let mut out = Vec::new();
            let mut cur = (*p).whatprovidesdata.add(off as usize);
            while *cur != 0 {
                out.push(SolvableId(*cur));
                cur = cur.add(1);
            }
            out
        }
    }

    /// Registers `ids` as a "one of" set and returns its id for a job.
    pub fn one_of(&mut self, ids: &[SolvableId]) -> ffi::Id {
        let mut q = Queue::new();
        for s in ids {
            q.push(s.0);
        }
        // SAFETY: q holds solvable ids of this pool.
        unsafe { ffi::pool_queuetowhatprovides(self.ptr(), q.as_mut_ptr()) as ffi::Id }
    }

    /// Whether the pool's arch policy can install `s` (noarch always can).
    pub fn arch_installable(&self, s: SolvableId) -> bool {
        // SAFETY: s is a valid solvable id; id2arch has lastarch+1 entries.
        unsafe {
            let p = self.ptr();
            let arch = (*self.solvable(s)).arch;
            if arch <= 0 || arch > (*p).lastarch {
                return arch == ffi::solv_knownid_ARCH_NOARCH as ffi::Id;
            }
            (*p).id2arch.is_null() || *(*p).id2arch.add(arch as usize) != 0
        }
    }

    /// `name-[epoch:]version-release.arch` of a solvable.
    pub fn solvable_str(&self, s: SolvableId) -> String {
        // SAFETY: pool_solvable2str returns a temporary string valid until the next
        // tmp-space allocation; it is copied at once.
        unsafe {
            let sp = self.solvable(s);
            cstr_owned(ffi::pool_solvable2str(self.ptr(), sp))
        }
    }

    /// The name of the repo a solvable belongs to.
    pub fn solvable_repo_name(&self, s: SolvableId) -> String {
        // SAFETY: every added solvable has a live repo with a NUL-terminated name.
        unsafe {
            let sp = self.solvable(s);
            let repo = (*sp).repo;
            if repo.is_null() || (*repo).name.is_null() {
                return String::new();
            }
            cstr_owned((*repo).name)
        }
    }

    /// A dependency as text (`foo >= 1.0`, `(a or b)`).
    pub fn dep_str(&self, d: ffi::Id) -> String {
        // SAFETY: as in solvable_str.
        unsafe { cstr_owned(ffi::pool_dep2str(self.ptr(), d)) }
    }

    /// A typed dependency as text (see [`Pool::dep_str`]).
    pub fn dep_text(&self, d: DepId) -> String {
        self.dep_str(d.0)
    }

    /// Adds a repository read from a `.solv` file written by [`Pool::write_repo`].
    pub fn add_repo_solv(
        &mut self,
        name: &str,
        priority: i32,
        subpriority: i32,
        path: &std::path::Path,
    ) -> Result<RepoId, LibsolvError> {
        let c = path_cstring(path)?;
        // SAFETY: fopen gets NUL-terminated strings; a non-NULL FILE is handed to
        // read_solv, which closes it.
        let f = unsafe { fopen(c.as_ptr(), c"r".as_ptr()) };
        if f.is_null() {
            return Err(LibsolvError(format!(
                "cannot open {}: {}",
                path.display(),
                std::io::Error::last_os_error()
            )));
        }
        self.read_solv(name, priority, subpriority, f, path)
    }

    /// Adds a repository from the content of a `.solv` file (already in memory,
    /// e.g. to check its seal first); `origin` names it in errors.
    pub fn add_repo_solv_bytes(
        &mut self,
        name: &str,
        priority: i32,
        subpriority: i32,
        bytes: &[u8],
        origin: &std::path::Path,
    ) -> Result<RepoId, LibsolvError> {
        if bytes.is_empty() {
            return Err(LibsolvError(format!(
                "cannot read {}: empty",
                origin.display()
            )));
        }
        // SAFETY: a read-only ("r") memory stream over `bytes`, which outlives it:
        // read_solv closes the stream before this function returns. glibc never
        // writes to the buffer of a stream opened for reading, so casting away const
        // is sound.
        let f = unsafe { fmemopen(bytes.as_ptr().cast_mut().cast(), bytes.len(), c"r".as_ptr()) };
        if f.is_null() {
            return Err(LibsolvError(format!(
                "cannot read {}: {}",
                origin.display(),
                std::io::Error::last_os_error()
            )));
        }
        self.read_solv(name, priority, subpriority, f, origin)
    }

    /// Reads the open stream `f` into a new repo and closes it (on every path).
    fn read_solv(
        &mut self,
        name: &str,
        priority: i32,
        subpriority: i32,
        f: *mut ffi::FILE,
        origin: &std::path::Path,
    ) -> Result<RepoId, LibsolvError> {
        let repo = match self.add_repo(name, priority, subpriority) {
            Ok(repo) => repo,
            Err(e) => {
                // SAFETY: f is an open stream this function owns.
                unsafe { fclose(f) };
                return Err(e);
            }
        };
        let r = self.repos[repo.0].as_ptr();
        // SAFETY: f is an open stream used by this thread only (so stdio's locking
        // can be left to the caller, i.e. skipped) and closed exactly once here;
        // repo_add_solv reads it into a live repo of this pool.
        unsafe {
            __fsetlocking(f, FSETLOCKING_BYCALLER);
            let status = ffi::repo_add_solv(r, f, 0);
            fclose(f);
            if status != 0 {
                return Err(LibsolvError(format!(
                    "cannot read {}: {}",
                    origin.display(),
                    cstr_owned(ffi::pool_errstr(self.ptr()))
                )));
            }
        }
        Ok(repo)
    }

    /// Adds the rpm database of the root filesystem `rootdir` as a repository, the
    /// way dnf loads `@System` (`repo_add_rpmdb_reffp` with `REPO_REUSE_REPODATA |
    /// RPM_ADD_WITH_HDRID | REPO_USE_ROOTDIR` after `pool_set_rootdir`). libsolvext
    /// reads it through librpm (sqlite, Berkeley DB, ndb) at `rootdir/var/lib/rpm`
    /// (or `/usr/share/rpm`); the caller arranges the database to be found there.
    pub fn add_rpmdb(
        &mut self,
        name: &str,
        rootdir: &std::path::Path,
    ) -> Result<RepoId, LibsolvError> {
        let add_rpmdb_reffp = ext()?.add_rpmdb_reffp;
        let repo = self.add_repo(name, 0, 0)?;
        let r = self.repos[repo.0].as_ptr();
        let root = path_cstring(rootdir)?;
        // librpm's macro context (where libsolvext defines `_dbpath` while it opens
        // the database) is process-wide: one reader at a time.
        let _guard = RPMDB_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        // SAFETY: a live pool and repo; the root string outlives the read (libsolv
        // copies it, and it is reset before `root` drops); a NULL reference file is
        // allowed.
        let status = unsafe {
            ffi::pool_set_rootdir(self.ptr(), root.as_ptr());
            let status = add_rpmdb_reffp(
                r,
                std::ptr::null_mut(),
                (ffi::REPO_REUSE_REPODATA | ffi::RPM_ADD_WITH_HDRID | ffi::REPO_USE_ROOTDIR)
                    as c_int,
            );
            ffi::pool_set_rootdir(self.ptr(), std::ptr::null());
            status
        };
        if status != 0 {
            // SAFETY: pool_errstr returns the pool's last error message.
            let message = unsafe { cstr_owned(ffi::pool_errstr(self.ptr())) };
            return Err(LibsolvError(message));
        }
        Ok(repo)
    }

    /// Makes `repo` the installed system (`pool_set_installed`).
    pub fn set_installed(&mut self, repo: RepoId) {
        let r = self.repos[repo.0].as_ptr();
        // SAFETY: a live repo of this live pool.
        unsafe { ffi::pool_set_installed(self.ptr(), r) };
    }

    /// Whether `s` belongs to the installed repo.
    pub fn is_installed(&self, s: SolvableId) -> bool {
        // SAFETY: s is a solvable of this pool; pool->installed is NULL or live.
        unsafe {
            let installed = (*self.ptr()).installed;
            !installed.is_null() && (*self.solvable(s)).repo == installed
        }
    }

    /// Writes one repository (its solvables and dependencies) as a `.solv` file.
    pub fn write_repo(&mut self, repo: RepoId, path: &std::path::Path) -> Result<(), LibsolvError> {
        let r = self.repos[repo.0].as_ptr();
        let c = path_cstring(path)?;
        // SAFETY: as in add_repo_solv; the repo is internalized before writing.
        unsafe {
            ffi::repo_internalize(r);
            let f = fopen(c.as_ptr(), c"w".as_ptr());
            if f.is_null() {
                return Err(LibsolvError(format!(
                    "cannot create {}: {}",
                    path.display(),
                    std::io::Error::last_os_error()
                )));
            }
            // This thread alone writes the stream: no lock per putc.
            __fsetlocking(f, FSETLOCKING_BYCALLER);
            let status = ffi::repo_write(r, f);
            let closed = fclose(f);
            if status != 0 || closed != 0 {
                return Err(LibsolvError(format!("cannot write {}", path.display())));
            }
        }
        Ok(())
    }

    /// The solvables of `repo`, in the order they were added (or read).
    pub fn repo_solvables(&self, repo: RepoId) -> Vec<SolvableId> {
        let r = self.repos[repo.0].as_ptr();
        // SAFETY: start..end bounds the repo's solvables in pool->solvables.
        unsafe {
            let (start, end) = ((*r).start, (*r).end);
            (start..end)
                .filter(|&id| (*(*self.ptr()).solvables.add(id as usize)).repo == r)
                .map(SolvableId)
                .collect()
        }
    }

    /// The solvable `s` points at; `s` must be below `nsolvables` (a SolvableId of
    /// another, larger pool is caught here).
    fn solvable(&self, s: SolvableId) -> *mut ffi::Solvable {
        // SAFETY: a live pool; the id is checked against nsolvables before the
        // pointer is formed.
        unsafe {
            let p = self.ptr();
            assert!(
                s.0 > 0 && s.0 < (*p).nsolvables,
                "libsolv wrapper: solvable id {} out of range",
                s.0
            );
            (*p).solvables.add(s.0 as usize)
        }
    }

    /// A string of the pool; borrowed until the pool next interns something.
    pub fn str(&self, id: ffi::Id) -> &str {
        // SAFETY: pool_id2str returns a NUL-terminated string inside the pool's string
        // space, which only moves when a string is added (needs &mut self).
        unsafe {
            let p = ffi::pool_id2str(self.ptr(), id);
            if p.is_null() {
                return "";
            }
            CStr::from_ptr(p).to_str().unwrap_or("")
        }
    }

    /// Name, EVR and arch of a solvable.
    pub fn solvable_nea(&self, s: SolvableId) -> (&str, &str, &str) {
        // SAFETY: a live solvable of this pool.
        let (n, e, a) = unsafe {
            let sp = self.solvable(s);
            ((*sp).name, (*sp).evr, (*sp).arch)
        };
        (self.str(n), self.str(e), self.str(a))
    }

    /// The name id of a solvable.
    pub fn solvable_name(&self, s: SolvableId) -> DepId {
        // SAFETY: a live solvable of this pool.
        DepId(unsafe { (*self.solvable(s)).name })
    }

    /// Whether a solvable is a source package (`src` / `nosrc`).
    pub fn is_source(&self, s: SolvableId) -> bool {
        // SAFETY: a live solvable of this pool.
        let arch = unsafe { (*self.solvable(s)).arch };
        arch == ffi::solv_knownid_ARCH_SRC as ffi::Id
            || arch == ffi::solv_knownid_ARCH_NOSRC as ffi::Id
    }

    /// One dependency array of a solvable (markers skipped).
    pub fn solvable_deps(&self, s: SolvableId, kind: DepKind) -> impl Iterator<Item = DepId> + '_ {
        // SAFETY: the offset indexes the repo's idarraydata, a 0-terminated id list
        // that lives as long as the pool and does not move while it is borrowed.
        let ids: &[ffi::Id] = unsafe {
            let sp = self.solvable(s);
            let off = match kind {
                DepKind::Provides => (*sp).provides,
                DepKind::Obsoletes => (*sp).obsoletes,
                DepKind::Requires => (*sp).requires,
                DepKind::Recommends => (*sp).recommends,
                DepKind::Supplements => (*sp).supplements,
            };
            let repo = (*sp).repo;
            if off == 0 || repo.is_null() {
                &[]
            } else {
                let start = (*repo).idarraydata.add(off as usize);
                let mut len = 0;
                while *start.add(len) != 0 {
                    len += 1;
                }
                std::slice::from_raw_parts(start, len)
            }
        };
        ids.iter()
            .copied()
            .filter(|&id| {
                id != ffi::solv_knownid_SOLVABLE_PREREQMARKER as ffi::Id
                    && id != ffi::solv_knownid_SOLVABLE_FILEMARKER as ffi::Id
            })
            .map(DepId)
    }

    /// The name id of a dependency (the dependency itself when unversioned); `None`
    /// for rich dependencies.
    pub fn dep_name(&self, d: DepId) -> Option<DepId> {
        const RELBIT: u32 = 0x8000_0000;
        if d.0 as u32 & RELBIT == 0 {
            return Some(d);
        }
        // SAFETY: a reldep id indexes pool->rels.
        let rd = unsafe { &*(*self.ptr()).rels.add((d.0 as u32 ^ RELBIT) as usize) };
        let flags = rd.flags as u32;
        (flags != 0 && flags <= 7 && rd.name as u32 & RELBIT == 0).then_some(DepId(rd.name))
    }

    /// A dependency split into its name and, for a simple versioned one, the relation
    /// flags (libsolv's REL_GT/EQ/LT bits) and EVR. Rich dependencies give `None`.
    pub fn dep_parts(&self, d: DepId) -> Option<(&str, Option<(u32, &str)>)> {
        const RELBIT: u32 = 0x8000_0000;
        if d.0 as u32 & RELBIT == 0 {
            return Some((self.str(d.0), None));
        }
        // SAFETY: a reldep id indexes pool->rels.
        let rd = unsafe { &*(*self.ptr()).rels.add((d.0 as u32 ^ RELBIT) as usize) };
        let flags = rd.flags as u32;
        if flags == 0 || flags > 7 || rd.name as u32 & RELBIT != 0 {
            return None;
        }
        Some((self.str(rd.name), Some((flags, self.str(rd.evr)))))
    }

    /// The plain (non-rich) dependencies inside `d` whose providers it may pull in:
    /// `d` itself when it is not rich; for `A and B`, `A or B`, `A with B` both sides;
    /// for `A if C`, `A unless C` and `A without B` only `A`; for `A if C else B`
    /// (and `unless ... else`) `A` and `B`. Conditions are not pulled in.
    pub fn pulled_deps(&self, d: DepId) -> Vec<DepId> {
        const RELBIT: u32 = 0x8000_0000;
        let mut out = Vec::new();
        let mut stack = vec![d];
        // Bounded: a dependency tree is finite, but guard against cycles anyway.
        let mut budget = 256;
        while let Some(d) = stack.pop() {
            budget -= 1;
            if budget == 0 {
                break;
            }
            if d.0 as u32 & RELBIT == 0 {
                out.push(d);
                continue;
            }
            let relid = (d.0 as u32 ^ RELBIT) as usize;
            // SAFETY: ids come from this pool; a reldep id indexes pool->rels, which
            // has nrels entries (checked).
            let (name, evr, flags) = unsafe {
                let p = self.ptr();
                if relid >= (*p).nrels as usize {
                    continue;
                }
                let rd = &*(*p).rels.add(relid);
                (DepId(rd.name), DepId(rd.evr), rd.flags as u32)
            };
            match flags {
                ffi::REL_AND | ffi::REL_OR | ffi::REL_WITH => {
                    stack.push(evr);
                    stack.push(name);
                }
                ffi::REL_COND | ffi::REL_UNLESS => {
                    // The right side is the condition, or `C else B`.
                    if evr.0 as u32 & RELBIT != 0 {
                        let erel = (evr.0 as u32 ^ RELBIT) as usize;
                        // SAFETY: as above.
                        let else_branch = unsafe {
                            let p = self.ptr();
                            (erel < (*p).nrels as usize).then(|| {
                                let rd = &*(*p).rels.add(erel);
                                (rd.flags as u32 == ffi::REL_ELSE).then_some(DepId(rd.evr))
                            })
                        };
                        if let Some(Some(b)) = else_branch {
                            stack.push(b);
                        }
                    }
                    stack.push(name);
                }
                ffi::REL_WITHOUT => stack.push(name),
                // A versioned dependency (`name OP evr`), or another relation whose
                // providers libsolv computes as a whole (arch, namespace...).
                _ => out.push(d),
            }
        }
        out
    }

    /// Whether `s` is considered (not excluded) by the pool.
    pub fn is_considered(&self, s: SolvableId) -> bool {
        let p = self.ptr();
        // SAFETY: p is a live pool; pool->considered is NULL or the live map of
        // `size` bytes set by `set_considered`, and the byte read is checked against
        // that size (a solvable added after it is simply not considered).
        unsafe {
            let map = (*p).considered;
            if map.is_null() {
                return true;
            }
            let i = s.index();
            if i >> 3 >= (*map).size as usize {
                return false;
            }
            *(*map).map.add(i >> 3) & (1 << (i & 7)) != 0
        }
    }
}

impl Pool {
    /// Restricts the packages libsolv may install to those for which `keep` holds
    /// (`pool->considered`, as libdnf applies excludes); every other solvable stays
    /// visible as a provider (`POOL_FLAG_WHATPROVIDESWITHDISABLED`) but is not
    /// installable. Call after [`Pool::prepare`].
    pub fn set_considered(&mut self, keep: impl Fn(SolvableId) -> bool) {
        let p = self.ptr();
        // SAFETY: p is live; map_init allocates a zeroed bitmap of nsolvables bits,
        // every index set below is < nsolvables. The Box outlives its use by the pool:
        // it is replaced only after the pool's pointer is redirected, and Drop detaches
        // it before pool_free.
        unsafe {
            let n = (*p).nsolvables;
            let mut map = Box::new(ffi::Map {
                map: std::ptr::null_mut(),
                size: 0,
            });
            ffi::map_init(&mut *map, n);
            for id in 1..n {
                if keep(SolvableId(id)) {
                    *map.map.add((id >> 3) as usize) |= 1 << (id & 7);
                }
            }
            (*p).considered = &mut *map;
            if let Some(mut old) = self.considered.replace(map) {
                ffi::map_free(&mut *old);
            }
        }
    }

    /// The solvables of the installed repo (`pool->installed`), in id order; empty
    /// while no installed system is loaded.
    pub fn installed(&self) -> Vec<SolvableId> {
        let p = self.ptr();
        // SAFETY: pool->installed is NULL or a live repo of this pool.
        let installed = unsafe { (*p).installed };
        if installed.is_null() {
            return Vec::new();
        }
        match self.repos.iter().position(|r| r.as_ptr() == installed) {
            Some(i) => self.repo_solvables(RepoId(i)),
            None => Vec::new(),
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        // SAFETY: the pool is live and freed exactly once; solvers borrowing it are
        // gone (borrow checker), and repos are owned and freed by the pool. The
        // considered map is ours: detached first so pool_free does not touch it.
        unsafe {
            (*self.ptr()).considered = std::ptr::null_mut();
            if let Some(mut map) = self.considered.take() {
                ffi::map_free(&mut *map);
            }
            ffi::pool_free(self.ptr())
        };
    }
}

/// Fedora's libsolv arch policy where it differs from a default libsolv build.
fn fedora_arch_policy(arch: &str) -> Option<&'static str> {
    match arch {
        "x86_64" => Some("x86_64:athlon:i686:i586:i486:i386"),
        _ => None,
    }
}

/// One job of a solver run.
#[derive(Debug, Clone, Copy)]
pub enum Job {
    /// `SOLVER_INSTALL | SOLVER_SOLVABLE_ONE_OF | SOLVER_SETARCH | SOLVER_SETEVR`
    /// over a set from [`Pool::one_of`].
    InstallOneOf(ffi::Id),
    /// The same as a weak job (`SOLVER_WEAK`): dropped when it cannot be satisfied.
    InstallOneOfWeak(ffi::Id),
    /// `SOLVER_MULTIVERSION | SOLVER_SOLVABLE_PROVIDES` for an install-only provide.
    MultiversionProvides(DepId),
    /// `SOLVER_UPDATE | SOLVER_SOLVABLE_ONE_OF` over a set from [`Pool::one_of`]
    /// (dnf's `upgrade SPEC` on installed packages).
    UpdateOneOf(ffi::Id),
    /// `SOLVER_INSTALL | SOLVER_SOLVABLE`: one exact package (dnf's `reinstall`).
    InstallSolvable(SolvableId),
    /// `SOLVER_ALLOWUNINSTALL | SOLVER_SOLVABLE` for an installed package (dnf's
    /// `allowerasing`).
    AllowUninstall(SolvableId),
    /// `SOLVER_FAVOR | SOLVER_SOLVABLE`: when libsolv chooses among candidates, this
    /// one is tried first (libdnf's `Goal::favor`).
    Favor(SolvableId),
    /// `SOLVER_INSTALL | SOLVER_SOLVABLE_PROVIDES`: what libdnf makes of a provides
    /// selector, e.g. a comps conditional package `(pkg if condition)`.
    InstallProvides(DepId),
}

/// Solver flags.
#[derive(Debug, Clone, Copy)]
pub struct SolverFlags {
    /// Whether weak dependencies are installed.
    pub install_weak_deps: bool,
}

/// One piece of a problem, from `solver_allruleinfos`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleInfo {
    /// `SolverRuleinfo` value.
    pub kind: u32,
    /// Source solvable (or 0).
    pub source: ffi::Id,
    /// Target solvable (or 0).
    pub target: ffi::Id,
    /// Dependency id (or 0).
    pub dep: ffi::Id,
}

/// A solver over a prepared [`Pool`].
pub struct Solver<'p> {
    raw: NonNull<ffi::Solver>,
    pool: &'p mut Pool,
}

impl<'p> Solver<'p> {
    /// Creates a solver with dnf's flags over a prepared pool (an unprepared one is an
    /// error).
    pub fn new(pool: &'p mut Pool, flags: SolverFlags) -> Result<Solver<'p>, LibsolvError> {
        if !pool.prepared {
            return Err(LibsolvError(
                "solver over a pool whose whatprovides index is not built (prepare())".into(),
            ));
        }
        // SAFETY: the pool is prepared (checked) and outlives the solver (borrow).
        let raw = NonNull::new(unsafe { ffi::solver_create(pool.ptr()) })
            .ok_or_else(|| LibsolvError("solver_create failed".into()))?;
        let solver = Solver { raw, pool };
        let set = |flag: u32, value: c_int| {
            // SAFETY: a live solver; flags are libsolv constants.
            unsafe { ffi::solver_set_flag(solver.raw.as_ptr(), flag as c_int, value) };
        };
        set(ffi::SOLVER_FLAG_ALLOW_VENDORCHANGE, 1);
        set(ffi::SOLVER_FLAG_DUP_ALLOW_VENDORCHANGE, 1);
        set(ffi::SOLVER_FLAG_KEEP_ORPHANS, 1);
        set(ffi::SOLVER_FLAG_BEST_OBEY_POLICY, 1);
        set(ffi::SOLVER_FLAG_YUM_OBSOLETES, 1);
        set(ffi::SOLVER_FLAG_ALLOW_DOWNGRADE, 1);
        if !flags.install_weak_deps {
            set(ffi::SOLVER_FLAG_IGNORE_RECOMMENDED, 1);
        }
        Ok(solver)
    }

    /// The pool, to read while the solver lives (borrowed from the solver, so no
    /// string borrowed from it survives the next [`Solver::solve`]).
    pub fn pool(&self) -> &Pool {
        self.pool
    }

    /// Solves `jobs`; returns the number of problems (0: solved).
    pub fn solve(&mut self, jobs: &[Job]) -> usize {
        let mut q = Queue::new();
        for job in jobs {
            match *job {
                Job::InstallOneOf(set) => {
                    q.push(
                        (ffi::SOLVER_INSTALL
                            | ffi::SOLVER_SOLVABLE_ONE_OF
                            | ffi::SOLVER_SETARCH
                            | ffi::SOLVER_SETEVR) as ffi::Id,
                    );
                    q.push(set);
                }
                Job::InstallOneOfWeak(set) => {
                    q.push(
                        (ffi::SOLVER_INSTALL | ffi::SOLVER_SOLVABLE_ONE_OF | ffi::SOLVER_WEAK)
                            as ffi::Id,
                    );
                    q.push(set);
                }
                Job::MultiversionProvides(dep) => {
                    q.push((ffi::SOLVER_MULTIVERSION | ffi::SOLVER_SOLVABLE_PROVIDES) as ffi::Id);
                    q.push(dep.0);
                }
                Job::UpdateOneOf(set) => {
                    q.push((ffi::SOLVER_UPDATE | ffi::SOLVER_SOLVABLE_ONE_OF) as ffi::Id);
                    q.push(set);
                }
                Job::InstallSolvable(s) => {
                    q.push((ffi::SOLVER_INSTALL | ffi::SOLVER_SOLVABLE) as ffi::Id);
                    q.push(s.0);
                }
                Job::AllowUninstall(s) => {
                    q.push((ffi::SOLVER_ALLOWUNINSTALL | ffi::SOLVER_SOLVABLE) as ffi::Id);
                    q.push(s.0);
                }
                Job::Favor(s) => {
                    q.push((ffi::SOLVER_FAVOR | ffi::SOLVER_SOLVABLE) as ffi::Id);
                    q.push(s.0);
                }
                Job::InstallProvides(dep) => {
                    q.push((ffi::SOLVER_INSTALL | ffi::SOLVER_SOLVABLE_PROVIDES) as ffi::Id);
                    q.push(dep.0);
                }
            }
        }
        // SAFETY: a live solver and an initialised job queue.
        unsafe { ffi::solver_solve(self.raw.as_ptr(), q.as_mut_ptr()) as usize }
    }

    /// For each problem, the de-duplicated rule infos of all its problem rules.
    pub fn problems(&self) -> Vec<Vec<RuleInfo>> {
        let s = self.raw.as_ptr();
        // SAFETY: a live solver after solve(); queues are initialised and freed.
        unsafe {
            let count = ffi::solver_problem_count(s);
            let mut out = Vec::new();
            for problem in 1..=count {
                let mut rules = Queue::new();
                ffi::solver_findallproblemrules(s, problem as ffi::Id, rules.as_mut_ptr());
                let mut infos: Vec<RuleInfo> = Vec::new();
                for &rid in rules.as_slice() {
                    let mut rq = Queue::new();
                    ffi::solver_allruleinfos(s, rid, rq.as_mut_ptr());
                    for chunk in rq.as_slice().chunks_exact(4) {
                        let info = RuleInfo {
                            kind: chunk[0] as u32,
                            source: chunk[1],
                            target: chunk[2],
                            dep: chunk[3],
                        };
                        if !infos.contains(&info) {
                            infos.push(info);
                        }
                    }
                }
                out.push(infos);
            }
            out
        }
    }

    /// The packages the transaction installs (install, obsoletes, upgrade, downgrade,
    /// reinstall and multi-install steps), in transaction order.
    pub fn installs(&self) -> Vec<SolvableId> {
        // SAFETY: a live, solved solver; the transaction is freed before returning.
        unsafe {
            let t = ffi::solver_create_transaction(self.raw.as_ptr());
            if t.is_null() {
                return Vec::new();
            }
            let mode = (ffi::SOLVER_TRANSACTION_SHOW_OBSOLETES
                | ffi::SOLVER_TRANSACTION_CHANGE_IS_REINSTALL
                | ffi::SOLVER_TRANSACTION_SHOW_ACTIVE
                | ffi::SOLVER_TRANSACTION_SHOW_ALL) as c_int;
            let steps = &(*t).steps;
            let mut out = Vec::new();
            for i in 0..steps.count as usize {
                let p = *steps.elements.add(i);
                let kind = ffi::transaction_type(t, p, mode) as u32;
                if matches!(
                    kind,
                    ffi::SOLVER_TRANSACTION_INSTALL
                        | ffi::SOLVER_TRANSACTION_OBSOLETES
                        | ffi::SOLVER_TRANSACTION_UPGRADE
                        | ffi::SOLVER_TRANSACTION_DOWNGRADE
                        | ffi::SOLVER_TRANSACTION_REINSTALL
                        | ffi::SOLVER_TRANSACTION_MULTIINSTALL
                ) {
                    out.push(SolvableId(p));
                }
            }
            ffi::transaction_free(t);
            out
        }
    }
}

impl Drop for Solver<'_> {
    fn drop(&mut self) {
        // SAFETY: the solver is live and freed exactly once, before its pool.
        unsafe { ffi::solver_free(self.raw.as_ptr()) };
    }
}

fn path_cstring(path: &std::path::Path) -> Result<CString, LibsolvError> {
    use std::os::unix::ffi::OsStrExt;
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| LibsolvError(format!("path contains a NUL byte: {}", path.display())))
}

/// The deepest rich dependency accepted. Real ones nest a handful of levels; a
/// thousand levels of libsolv's recursion fit easily in a 2 MiB thread stack.
pub const MAX_RICH_DEPTH: usize = 1000;

/// How deeply parentheses nest in `s`.
fn rich_depth(s: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for b in s.bytes() {
        match b {
            b'(' => {
                depth += 1;
                max = max.max(depth);
            }
            b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

fn cstring(s: &str) -> Result<CString, LibsolvError> {
    CString::new(s).map_err(|_| LibsolvError(format!("string contains a NUL byte: {s:?}")))
}

/// Copies a C string owned by libsolv.
///
/// # Safety
/// `p` must be NULL or point to a NUL-terminated string.
unsafe fn cstr_owned(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: guaranteed by the caller.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// Rule kinds, re-exported for problem rendering.
pub mod rule {
    #![allow(missing_docs)]
    use libsolv_sys::ffi;
    pub const PKG: u32 = ffi::SolverRuleinfo_SOLVER_RULE_PKG;
    pub const PKG_NOT_INSTALLABLE: u32 = ffi::SolverRuleinfo_SOLVER_RULE_PKG_NOT_INSTALLABLE;
    pub const PKG_NOTHING_PROVIDES_DEP: u32 =
        ffi::SolverRuleinfo_SOLVER_RULE_PKG_NOTHING_PROVIDES_DEP;
    pub const PKG_REQUIRES: u32 = ffi::SolverRuleinfo_SOLVER_RULE_PKG_REQUIRES;
    pub const PKG_SELF_CONFLICT: u32 = ffi::SolverRuleinfo_SOLVER_RULE_PKG_SELF_CONFLICT;
    pub const PKG_CONFLICTS: u32 = ffi::SolverRuleinfo_SOLVER_RULE_PKG_CONFLICTS;
    pub const PKG_SAME_NAME: u32 = ffi::SolverRuleinfo_SOLVER_RULE_PKG_SAME_NAME;
    pub const PKG_OBSOLETES: u32 = ffi::SolverRuleinfo_SOLVER_RULE_PKG_OBSOLETES;
    pub const PKG_IMPLICIT_OBSOLETES: u32 = ffi::SolverRuleinfo_SOLVER_RULE_PKG_IMPLICIT_OBSOLETES;
    pub const PKG_INSTALLED_OBSOLETES: u32 =
        ffi::SolverRuleinfo_SOLVER_RULE_PKG_INSTALLED_OBSOLETES;
    pub const UPDATE: u32 = ffi::SolverRuleinfo_SOLVER_RULE_UPDATE;
    pub const JOB: u32 = ffi::SolverRuleinfo_SOLVER_RULE_JOB;
    pub const JOB_NOTHING_PROVIDES_DEP: u32 =
        ffi::SolverRuleinfo_SOLVER_RULE_JOB_NOTHING_PROVIDES_DEP;
    pub const JOB_PROVIDED_BY_SYSTEM: u32 = ffi::SolverRuleinfo_SOLVER_RULE_JOB_PROVIDED_BY_SYSTEM;
    pub const JOB_UNKNOWN_PACKAGE: u32 = ffi::SolverRuleinfo_SOLVER_RULE_JOB_UNKNOWN_PACKAGE;
    pub const JOB_UNSUPPORTED: u32 = ffi::SolverRuleinfo_SOLVER_RULE_JOB_UNSUPPORTED;
    pub const DISTUPGRADE: u32 = ffi::SolverRuleinfo_SOLVER_RULE_DISTUPGRADE;
    pub const INFARCH: u32 = ffi::SolverRuleinfo_SOLVER_RULE_INFARCH;
    pub const BEST: u32 = ffi::SolverRuleinfo_SOLVER_RULE_BEST;
    pub const YUMOBS: u32 = ffi::SolverRuleinfo_SOLVER_RULE_YUMOBS;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Adds `name-evr.arch` requiring `requires`, with its self-provide.
    fn pkg(pool: &mut Pool, repo: RepoId, nevra: &str, requires: &[DepId]) -> SolvableId {
        let (rest, arch) = nevra.rsplit_once('.').unwrap();
        let (rest, rel) = rest.rsplit_once('-').unwrap();
        let (name, ver) = rest.rsplit_once('-').unwrap();
        let (n, e, a) = (
            pool.intern(name),
            pool.intern(&format!("{ver}-{rel}")),
            pool.intern(arch),
        );
        let mut deps = SolvableDeps {
            requires: requires.to_vec(),
            ..Default::default()
        };
        deps.provides.push(pool.rel(n, Rel::Eq, e));
        pool.add_solvable(repo, n, e, a, &deps)
    }

    #[test]
    fn ffi_smoke_resolves_a_chain() {
        let mut pool = Pool::new("x86_64").unwrap();
        let repo = pool.add_repo("test", -99, -1000).unwrap();
        let b_name = pool.intern("b");
        let a = pkg(&mut pool, repo, "a-1-1.x86_64", &[b_name]);
        let b = pkg(&mut pool, repo, "b-2-1.noarch", &[]);
        let _other = pkg(&mut pool, repo, "c-1-1.aarch64", &[]);
        pool.prepare();
        assert_eq!(pool.whatprovides(b_name), vec![b]);
        assert_eq!(pool.solvable_str(a), "a-1-1.x86_64");
        assert_eq!(pool.solvable_repo_name(a), "test");
        let set = pool.one_of(&[a]);
        let mut solver = Solver::new(
            &mut pool,
            SolverFlags {
                install_weak_deps: true,
            },
        )
        .unwrap();
        assert_eq!(solver.solve(&[Job::InstallOneOf(set)]), 0);
        let mut got = solver.installs();
        got.sort();
        assert_eq!(got, vec![a, b]);
    }

    #[test]
    fn ffi_smoke_reports_problems_and_arch() {
        let mut pool = Pool::new("x86_64").unwrap();
        let repo = pool.add_repo("test", -99, -1000).unwrap();
        let missing = pool.intern("missing");
        let a = pkg(&mut pool, repo, "a-1-1.x86_64", &[missing]);
        let arm = pkg(&mut pool, repo, "arm-1-1.aarch64", &[]);
        let i686 = pkg(&mut pool, repo, "x-1-1.i686", &[]);
        pool.prepare();
        assert!(!pool.arch_installable(arm));
        assert!(pool.arch_installable(i686));
        let set = pool.one_of(&[a]);
        let mut solver = Solver::new(
            &mut pool,
            SolverFlags {
                install_weak_deps: true,
            },
        )
        .unwrap();
        assert_eq!(solver.solve(&[Job::InstallOneOf(set)]), 1);
        let problems = solver.problems();
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0]
                .iter()
                .any(|r| r.kind == rule::PKG_NOTHING_PROVIDES_DEP && r.dep == missing.0)
        );
    }

    /// Misuse is refused, not undefined behaviour: a solver or whatprovides over a
    /// stale index, ids of another pool.
    #[test]
    fn misuse_is_checked() {
        let mut pool = Pool::new("x86_64").unwrap();
        let repo = pool.add_repo("test", -99, -1000).unwrap();
        let a = pkg(&mut pool, repo, "a-1-1.x86_64", &[]);
        let flags = SolverFlags {
            install_weak_deps: true,
        };
        assert!(Solver::new(&mut pool, flags).is_err(), "not prepared");
        pool.prepare();
        assert!(pool.prepared);
        let _late = pkg(&mut pool, repo, "late-1-1.x86_64", &[]);
        assert!(!pool.prepared, "adding a package makes the index stale");
        let dep = pool.intern("a");
        let stale =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| pool.whatprovides(dep)));
        assert!(stale.is_err());
        pool.prepare();
        assert_eq!(pool.whatprovides(dep), vec![a]);
        assert_eq!(pool.solvable_id(a.0), Some(a));
        assert_eq!(pool.solvable_id(0), None);
        assert_eq!(pool.solvable_id(1_000_000), None);
        // A SolvableId of a larger pool.
        let mut big = Pool::new("x86_64").unwrap();
        let r = big.add_repo("big", -99, -1000).unwrap();
        let far = (0..50)
            .map(|i| pkg(&mut big, r, &format!("p{i}-1-1.x86_64"), &[]))
            .last()
            .unwrap();
        let wrong =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| pool.solvable_str(far)));
        assert!(wrong.is_err());
        // Strings stay valid across a solve: the solver holds the pool mutably, and the
        // pool is read through it afterwards.
        let set = pool.one_of(&[a]);
        let mut solver = Solver::new(&mut pool, flags).unwrap();
        assert_eq!(solver.solve(&[Job::InstallOneOf(set)]), 0);
        assert_eq!(solver.pool().solvable_nea(a).0, "a");
    }

    #[test]
    fn rich_deps_parse() {
        let mut pool = Pool::new("x86_64").unwrap();
        let d = pool.parse_rich("(a or (b if c else d))").unwrap().unwrap();
        assert_eq!(pool.dep_str(d.0), "(a or (b if c else d))");
        assert!(pool.parse_rich("(a or").unwrap().is_none());
    }

    #[test]
    fn pulled_deps_skip_conditions() {
        let mut pool = Pool::new("x86_64").unwrap();
        let mut pulled = |rich: &str| -> Vec<String> {
            let d = pool.parse_rich(rich).unwrap().unwrap();
            let mut out: Vec<String> = pool
                .pulled_deps(d)
                .into_iter()
                .map(|x| pool.dep_str(x.0))
                .collect();
            out.sort();
            out
        };
        assert_eq!(pulled("(a and (b or c))"), ["a", "b", "c"]);
        assert_eq!(pulled("(a if b)"), ["a"]);
        assert_eq!(pulled("(a if b else c)"), ["a", "c"]);
        assert_eq!(pulled("(a unless b else c)"), ["a", "c"]);
        assert_eq!(pulled("(a without b)"), ["a"]);
        assert_eq!(pulled("(a >= 1 with b)"), ["a >= 1", "b"]);
    }
}
