//! The `rpmlock` command line.

fn main() {
    println!("rpmlock");
}
