//! The built-in templates and fonts are put into the binary at build time
//! (`include_dir!`, `include_bytes!`); a change to one of their files must
//! rebuild it, which cargo does not see by itself on stable Rust.

fn main() {
    println!("cargo:rerun-if-changed=templates");
    println!("cargo:rerun-if-changed=fonts");
    println!("cargo:rerun-if-changed=build.rs");
}
