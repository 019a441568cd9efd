//! The README's story, told by `script/run` as a newcomer runs it, across the real processes: a fresh
//! chain, website, relay and vault on their own ports; the owner's wallet from fresh words; the boot, the
//! access request and its grant, the answered query, the tool installed and run under a per-query approval,
//! the receipts on the website, the revocation and the refusal after it. The script checks each step itself
//! and fails when the system does not do what it says; this test holds it to finishing, to leaving the
//! services up with their URLs printed, to saying each step, to never printing the owner's words, and to
//! Ctrl-C sealing the vault and stopping everything, whether the story is told or still being told.

use std::{
    io::{BufRead, BufReader, Read},
    net::TcpStream,
    path::Path,
    process::{Command, Stdio},
    sync::mpsc,
    time::Duration,
};

use dnavault_tests::{binary, web::free_port};

/// The longest the story may take before its services are up (it takes about a minute).
const STORY_LIMIT: Duration = Duration::from_secs(360);

/// What the story must say, in order: a phrase of each step's outcome.
const TOLD: &[&str] = &[
    "VaultRegistry 0x",
    "the owner's account: 0x",
    "vault 1, owned by 0x",
    "asks you to boot it",
    "Let vault 1 boot and unlock your genome",
    "Chain view",
    "the vault is unsealed",
    "access request 1 filed in block",
    "the website lists request 1 as granted",
    "22:50326116 C x1, T x1",
    "answered 403: allele-counts: the grant allows health or medical",
    "answered 403: the request, checked before its body: no grant for",
    "asks you to install the analysis tool bcftools query",
    "Installed: grants that name the tool may run it in vault 1",
    "needs your approval every time",
    "asks you to approve one query on vault 1: The query: run analysis tool 0x",
    "In regions: 22:50326000-50330000",
    "Approved: request 0x",
    "22\t50326116\tC\tT\t1|0",
    "receipt(s), batch 0x",
    "2 receipts, 2 anchored on-chain",
    "answered 403: the request, checked before its body: the grant for",
    "was revoked",
    "verdict: Verified",
    "The story is told.",
    "running:       press Ctrl-C",
];

/// `script/run` running on free ports, its state in a temporary directory.
struct Story {
    child: std::process::Child,
    _dir: tempfile::TempDir,
    state: std::path::PathBuf,
    /// The chain's, the website's and the vault's ports.
    ports: [u16; 3],
    /// What it printed so far, a line at a time.
    lines: mpsc::Receiver<String>,
    printed: String,
    stdout: Option<std::thread::JoinHandle<()>>,
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl Story {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        let ports = [free_port(), free_port(), free_port()];
        let bin = binary("dnavault-vault");
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut child = Command::new(root.join("script/run"))
            .env("DNAVAULT_STATE_DIR", &state)
            .env("DNAVAULT_ANVIL_PORT", ports[0].to_string())
            .env("DNAVAULT_WEB_PORT", ports[1].to_string())
            .env("DNAVAULT_VAULT_PORT", ports[2].to_string())
            .env("DNAVAULT_BIN_DIR", bin.parent().unwrap())
            // The phone app's bundle, when script/test built it; the story runs without it.
            .env(
                "DNAVAULT_APP_BUNDLE",
                std::env::var_os("DNAVAULT_APP_BUNDLE").unwrap_or("none".into()),
            )
            .env_remove("DNAVAULT_RPC_URL")
            .env_remove("DNAVAULT_PASSWORD")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = collected(child.stderr.take().unwrap());
        let (send, lines) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        let stdout = std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                if send.send(line.unwrap()).is_err() {
                    return;
                }
            }
        });
        Self {
            child,
            _dir: dir,
            state,
            ports,
            lines,
            printed: String::new(),
            stdout: Some(stdout),
            stderr: Some(stderr),
        }
    }

    /// Reads what it prints until a line starting with `prefix`; everything printed so far. Fails after
    /// [`STORY_LIMIT`] or if it ends first.
    fn until(&mut self, prefix: &str) -> &str {
        let deadline = std::time::Instant::now() + STORY_LIMIT;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let done = line.starts_with(prefix);
                    self.printed.push_str(&line);
                    self.printed.push('\n');
                    if done {
                        return &self.printed;
                    }
                }
                Err(_) => {
                    let _ = self.child.kill();
                    let logged = self.stderr.take().unwrap().join().unwrap();
                    panic!(
                        "the story never said {prefix:?}:\n{}\n{logged}",
                        self.printed
                    );
                }
            }
        }
    }

    /// Sends SIGINT, as Ctrl-C does, and waits for the script to end: its exit status and everything it
    /// printed on stdout and stderr.
    fn interrupt(&mut self) -> (std::process::ExitStatus, String, String) {
        let sent = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let status = self.child.wait().unwrap();
        self.stdout.take().unwrap().join().unwrap();
        self.printed
            .extend(self.lines.try_iter().map(|line| line + "\n"));
        let logged = self.stderr.take().unwrap().join().unwrap();
        (status, std::mem::take(&mut self.printed), logged)
    }
}

impl Drop for Story {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Fails unless every service the story started has stopped, as it said.
fn all_stopped(story_ports: [u16; 3], logged: &str) {
    for stopped in [
        "stopped the vault (sealed",
        "stopped the website and relay",
        "stopped the chain",
    ] {
        assert!(logged.contains(stopped), "{logged}");
    }
    for port in story_ports {
        assert!(!listening(port), "port {port} is still served after Ctrl-C");
    }
}

#[test]
fn the_whole_story_is_told_left_running_and_stopped_by_ctrl_c() {
    let mut story = Story::start();
    let [anvil, website, vault] = story.ports;
    let so_far = story.until("running:").to_owned();
    said_in_order(&so_far);

    // Left running: the website's pages and the vault answer at the URLs printed.
    let page = format!("http://127.0.0.1:{website}/vaults/1");
    assert!(so_far.contains(&page), "{so_far}");
    for port in [anvil, website, vault] {
        assert!(listening(port), "nothing on port {port}:\n{so_far}");
    }
    let batch = so_far
        .lines()
        .find_map(|line| line.split("receipt(s), batch ").nth(1))
        .expect("a receipt batch was printed");
    let shown = page_text(&page);
    assert!(
        shown.contains(batch),
        "the vault's page shows the anchored batch {batch}:\n{shown}"
    );
    let tools = shown.split("Installed analysis tools").nth(1).unwrap_or("");
    assert!(
        tools
            .split("Grants")
            .next()
            .unwrap()
            .contains("bcftools query"),
        "the vault's page names the installed tool:\n{shown}"
    );

    // Ctrl-C: the script seals the vault and stops every service, and says so.
    let (status, printed, logged) = story.interrupt();
    assert!(status.success(), "{status}: {printed}\n{logged}");
    all_stopped(story.ports, &logged);

    // The owner's fresh words reached nothing the story printed or logged.
    let words = owners_words(&binary("dnavault-vault"), &story.state);
    assert_eq!(words.split_whitespace().count(), 12);
    let mut everything = printed + &logged;
    for log in std::fs::read_dir(&story.state).unwrap().flatten() {
        if log.path().is_file() {
            everything += &String::from_utf8_lossy(&std::fs::read(log.path()).unwrap());
        }
    }
    assert!(
        !everything.contains(&words),
        "the owner's words were printed"
    );
}

/// Ctrl-C in the middle of the story, once the vault holds the genome: the script stops every service it
/// started, the vault sealed, and exits 130 (interrupted) rather than 0.
#[test]
fn an_interrupted_story_stops_every_service_it_started() {
    let mut story = Story::start();
    story.until(" 9. The owner uploads a genome");
    std::thread::sleep(Duration::from_millis(500));
    let (status, printed, logged) = story.interrupt();
    assert_eq!(status.code(), Some(130), "{printed}\n{logged}");
    assert!(!printed.contains("The story is told."), "{printed}");
    all_stopped(story.ports, &logged);
}

/// Fails unless `text` says each of [`TOLD`], in that order.
fn said_in_order(text: &str) {
    let mut rest = text;
    for phrase in TOLD {
        let at = rest.find(phrase).unwrap_or_else(|| {
            panic!("the story never said {phrase:?} (after the steps before):\n{text}")
        });
        rest = &rest[at + phrase.len()..];
    }
}

/// The HTML of the website's page at `url`.
fn page_text(url: &str) -> String {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let response = alloy::transports::http::reqwest::get(url).await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "GET {url}");
        response.text().await.unwrap()
    })
}

fn listening(port: u16) -> bool {
    TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_secs(1),
    )
    .is_ok()
}

/// Everything `pipe` carries until it closes, read on a thread.
fn collected(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        pipe.read_to_string(&mut text).unwrap();
        text
    })
}

/// The owner's words, from the wallet the story made (`dnavault-wallet export`).
fn owners_words(vault_binary: &Path, state: &Path) -> String {
    let wallet = vault_binary.with_file_name("dnavault-wallet");
    let output = Command::new(wallet)
        .arg("--home")
        .arg(state.join("owner"))
        .args(["--json", "--yes", "export"])
        .env("DNAVAULT_PASSWORD", "local development only")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let exported: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    exported["words"].as_str().unwrap().to_owned()
}
