fn main() {
    eprintln!("obdtool: no commands yet");
    std::process::exit(2);
}
