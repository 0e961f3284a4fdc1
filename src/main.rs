fn main() -> std::process::ExitCode {
    gemba::cli::main()
}
