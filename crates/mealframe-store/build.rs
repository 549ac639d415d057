// Recompile when a migration is added or edited (sqlx::migrate! embeds the folders).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
