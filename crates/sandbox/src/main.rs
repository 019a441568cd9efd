//! The sandbox's launcher: `dnavault-sandboxed --dnavault-sandbox-launch SPEC` confines itself and
//! becomes the tool SPEC names.

fn main() {
    dnavault_sandbox::launch_if_asked();
    eprintln!(
        "dnavault-sandboxed: started without a launch request; the vault starts it, not a person"
    );
    std::process::exit(2);
}
