#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    tilgang::cli::main()
}
