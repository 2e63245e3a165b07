"""Serve the site as in production: gunicorn behind nginx (`make serve-proxy`).

    python deploy/proxy.py [--listen 127.0.0.1:8000] [--upstream 127.0.0.1:8001 ...]
                           [--static-root staticfiles] [--certificate C --key K]
    python deploy/proxy.py --render-only ...   # print the nginx configuration and stop

Renders deploy/nginx.conf.template into the run directory, starts one gunicorn
(kbsite/gunicorn_conf.py) on each upstream address and nginx in front of them, and stops
them all together: on Ctrl-C or SIGTERM, or as soon as one of them exits. Several app
servers must share one cache (DJANGO_CACHE_URL) besides the database. Static files are
served by nginx from the collected STATIC_ROOT. The tests and bench/load.py use the same
functions, so the configuration they check is the one that ships.
"""

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).with_name("nginx.conf.template")
RUN_DIR = Path(__file__).with_name(".run")
PLACEHOLDER = re.compile(r"\$\{([A-Z_]+)\}")


class NginxMissing(RuntimeError):
    pass


def nginx_binary() -> str:
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )
    if not found:
        raise NginxMissing(
            "nginx is not installed. The reverse proxy (deploy/, `make serve-proxy`) and its "
            "tests need it: `apt-get install nginx` on Debian (.ci/run installs it)."
        )
    return found


def default_user() -> str | None:
    """The user nginx's workers run as. Only a root master switches user; Debian's nginx
    package creates www-data for this."""
    return "www-data" if os.geteuid() == 0 else None


def render(
    *,
    listen: str,
    upstreams: list[str],
    static_root: Path,
    run_dir: Path,
    access_log: str = "/dev/stdout",
    user: str | None = None,
    certificate: Path | None = None,
    key: Path | None = None,
    mime_types: str = "/etc/nginx/mime.types",
) -> str:
    """The nginx configuration for these addresses and paths."""
    if not upstreams:
        raise ValueError("at least one upstream (gunicorn) address is needed")
    if (certificate is None) != (key is None):
        raise ValueError("TLS needs both a certificate and its key")
    tls = ""
    if certificate:
        tls = (
            f"        ssl_certificate {Path(certificate).resolve()};\n"
            f"        ssl_certificate_key {Path(key).resolve()};\n"
            "        ssl_protocols TLSv1.2 TLSv1.3;\n"
            "        ssl_session_cache shared:tls:10m;\n"
        )
    values = {
        "USER": f"user {user};" if user else "# (not root: workers run as this user)",
        "RUN_DIR": str(Path(run_dir).resolve()),
        "MIME_TYPES": mime_types,
        "ACCESS_LOG": "off" if access_log == "off" else f"{access_log} kbsite",
        "UPSTREAM_SERVERS": "\n".join(f"        server {address};" for address in upstreams),
        "LISTEN": listen,
        "SSL": " ssl" if certificate else "",
        "TLS": tls,
        "STATIC_ROOT": str(Path(static_root).resolve()),
    }
    template = TEMPLATE.read_text(encoding="utf-8")
    unknown = set(PLACEHOLDER.findall(template)) - values.keys()
    if unknown:
        raise ValueError(f"{TEMPLATE.name} has placeholders nothing fills: {sorted(unknown)}")
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def shared_cache_problem(upstreams: list[str], env: dict) -> str | None:
    """Why these app servers cannot serve together, or None. Each server's memory cache
    would count downloads, hold the recompute locks and keep pages for itself alone."""
    if len(upstreams) > 1 and not env.get("DJANGO_CACHE_URL"):
        return (
            f"{len(upstreams)} app servers need one cache they share: set DJANGO_CACHE_URL "
            "(redis://host:port/db), the same for every server (see README, Production)."
        )
    return None


def wait_for_port(host: str, port: int, seconds: float, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {host}:{port} after {seconds:.0f} s")


class Nginx:
    """nginx with a rendered configuration, in the foreground, in its own process group."""

    def __init__(self, config: str, run_dir: Path, output=None):
        self.run_dir = Path(run_dir).resolve()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.config = self.run_dir / "nginx.conf"
        self.config.write_text(config, encoding="utf-8")
        self.command = [nginx_binary(), "-p", str(self.run_dir), "-e", "stderr"]
        self.command += ["-c", str(self.config)]
        check = subprocess.run([*self.command, "-t", "-q"], capture_output=True, text=True)
        if check.returncode:
            raise RuntimeError(f"nginx rejects {self.config}:\n{check.stderr}")
        self.process = subprocess.Popen(
            self.command, stdout=output, stderr=output, start_new_session=True
        )

    def wait_until_listening(self, host: str, port: int, seconds: float = 10) -> None:
        wait_for_port(host, port, seconds, self.process)

    def stop(self) -> None:
        stop_process(self.process, signal.SIGQUIT)  # SIGQUIT: finish the open requests


def gunicorn(address: str, env: dict | None = None, output=None) -> subprocess.Popen:
    """gunicorn as `make serve` runs it, on `address` (host:port)."""
    host, port = address.rsplit(":", 1)
    return subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "--config",
            "kbsite/gunicorn_conf.py",
            "kbsite.wsgi",
        ],
        cwd=ROOT,
        env={**(os.environ if env is None else env), "HOST": host, "PORT": port},
        stdout=output,
        stderr=output,
        start_new_session=True,
    )


def stop_process(process: subprocess.Popen, sig: int = signal.SIGTERM, grace: float = 25) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # its own group: only this server
            process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--listen", default="127.0.0.1:8000", help="nginx's address")
    parser.add_argument(
        "--upstream",
        action="append",
        help="a gunicorn address; repeat for several (default 127.0.0.1:8001)",
    )
    parser.add_argument("--static-root", type=Path, default=ROOT / "staticfiles")
    parser.add_argument("--run-dir", type=Path, default=RUN_DIR)
    parser.add_argument("--access-log", default="/dev/stdout", help="a path, or off")
    parser.add_argument("--user", default=default_user(), help="nginx workers' user (as root)")
    parser.add_argument("--certificate", type=Path, help="serve HTTPS with this certificate")
    parser.add_argument("--key", type=Path, help="the certificate's private key")
    parser.add_argument("--no-gunicorn", action="store_true", help="the upstreams run already")
    parser.add_argument("--render-only", action="store_true", help="print the config, exit")
    args = parser.parse_args()
    upstreams = args.upstream or ["127.0.0.1:8001"]
    config = render(
        listen=args.listen,
        upstreams=upstreams,
        static_root=args.static_root,
        run_dir=args.run_dir,
        access_log=args.access_log,
        user=args.user,
        certificate=args.certificate,
        key=args.key,
    )
    if args.render_only:
        print(config)
        return
    if not args.no_gunicorn and (problem := shared_cache_problem(upstreams, os.environ)):
        sys.exit(f"serve-proxy: {problem}")

    def interrupted(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    servers: list[tuple[subprocess.Popen, int]] = []
    try:
        if not args.no_gunicorn:
            for address in upstreams:
                servers.append((gunicorn(address), signal.SIGTERM))
        nginx = Nginx(config, args.run_dir)
        servers.append((nginx.process, signal.SIGQUIT))
        host, port = args.listen.rsplit(":", 1)
        nginx.wait_until_listening(host.strip("[]"), int(port))
        scheme = "https" if args.certificate else "http"
        print(f"Serving {scheme}://{args.listen}/ through nginx -> {', '.join(upstreams)}")
        while all(process.poll() is None for process, _ in servers):
            time.sleep(0.5)
        sys.exit("serve-proxy: a server exited; stopping the others")
    except KeyboardInterrupt:
        pass
    finally:
        for process, sig in reversed(servers):
            stop_process(process, sig)


if __name__ == "__main__":
    main()
