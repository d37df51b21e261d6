//! Parsing a large primary.xml: the hot path of a cold `rpmlock lock`.
//!
//! `RPMLOCK_BENCH_PRIMARY=/path/to/primary.xml.gz cargo bench -p rpmlock-core --bench
//! parse_primary` (any compression rpmlock reads). Without the variable the bench
//! prints a note and does nothing, so `cargo bench` works on a fresh checkout.

use std::hint::black_box;
use std::io::Read;
use std::path::PathBuf;

use criterion::{Criterion, Throughput};
use rpmlock_core::repo::{
    open_decompressed, parse_primary, parse_primary_batches, parse_primary_parallel,
};

fn main() {
    let Some(path) = std::env::var_os("RPMLOCK_BENCH_PRIMARY").map(PathBuf::from) else {
        eprintln!("parse_primary: RPMLOCK_BENCH_PRIMARY is not set; skipping");
        return;
    };
    let origin = path.display().to_string();
    let mut xml = Vec::new();
    open_decompressed(&path)
        .expect("open RPMLOCK_BENCH_PRIMARY")
        .1
        .read_to_end(&mut xml)
        .expect("decompress RPMLOCK_BENCH_PRIMARY");
    let packages = parse_primary(&xml[..], &origin).expect("parse").len();
    eprintln!(
        "parse_primary: {origin}: {packages} packages, {} MB uncompressed",
        xml.len() >> 20
    );

    let mut c = Criterion::default().configure_from_args().sample_size(10);
    let mut g = c.benchmark_group("primary");
    g.throughput(Throughput::Bytes(xml.len() as u64));
    g.bench_function("parse (uncompressed, in memory)", |b| {
        b.iter(|| parse_primary(black_box(&xml[..]), &origin).unwrap())
    });
    // What the cold path runs: flat batches, no owned packages.
    g.bench_function("parse into batches (in memory)", |b| {
        b.iter(|| parse_primary_batches(black_box(&xml[..]), &origin, |b| b).unwrap())
    });
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    g.bench_function(
        format!("parse into batches, {workers} workers (in memory)"),
        |b| {
            b.iter(|| {
                // As the cold path: each full batch is handed on, an empty one comes back.
                // Read in 128 KiB pieces, as the decompressor hands them on.
                assert!(parse_primary_parallel(
                    std::io::BufReader::with_capacity(128 << 10, black_box(&xml[..])),
                    workers,
                    |mut batch| {
                        batch.clear();
                        batch
                    }
                ))
            })
        },
    );
    g.bench_function("decompress + parse (file)", |b| {
        b.iter(|| {
            let (_, reader) = open_decompressed(&path).unwrap();
            parse_primary(reader, &origin).unwrap()
        })
    });
    g.finish();
    c.final_summary();
}
