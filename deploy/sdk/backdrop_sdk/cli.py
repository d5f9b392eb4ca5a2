"""`backdrop`: Backdrop from the shell.

    backdrop login                       store an API key (asks for email and password)
    backdrop remove IMG... -o DIR        cut out images (files or folders of them)
    backdrop remove DIR --watch -o OUT   ... and every new file that appears in DIR, until Ctrl-C
    backdrop batch DIR --zip out.zip     one batch at the volume price, its ZIP downloaded
    backdrop upscale IMG --scale 2       2x or 4x
    backdrop generate "a prompt" -o DIR  text to image
    backdrop credits                     balance and plan

The server is --url, else $BACKDROP_URL, else the one `backdrop login` stored, else
http://127.0.0.1:8080; the credential --api-key, else $BACKDROP_API_KEY, else the stored
one. --json prints machine-readable results on stdout (one JSON document; in watch mode
one line per file); errors go to stderr, as JSON with --json.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import getpass
import json
import os
import pathlib
import signal
import socket
import sys
import threading
import zipfile
from typing import Any, Callable, Dict, Iterable, List, NoReturn, Optional, Sequence

from tqdm import tqdm

from . import __version__, errors
from ._http import DEFAULT_URL, Json
from .client import Client, JobFailedError, JobTimeout
from .lumiku import BackgroundRemoverClient, Progress

EXIT_CODES = """exit codes:
  0  success
  1  usage: bad arguments, a missing file, or a request the server refused as invalid (400/404/409/422)
  2  authentication: no credential, a wrong or revoked one (401), not allowed (403)
  3  credits or plan: not enough credits (402), a tier the plan lacks, the day's quota used up
  4  server or network: 5xx, unreachable, timed out, rate limited after the retries
  5  partly done: some images of the run failed (the others were written)
  130 interrupted"""
OK, USAGE, AUTH, CREDITS, SERVER, PARTIAL, INTERRUPTED = 0, 1, 2, 3, 4, 5, 130
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp"}
# Which of several failures a run reports: the one a user must fix first.
PRECEDENCE = (AUTH, CREDITS, SERVER, USAGE)


class UsageError(Exception):
    pass


def exit_code(error: BaseException) -> int:
    if isinstance(error, errors.AuthenticationError):
        return AUTH
    if isinstance(error, errors.InsufficientCreditsError):
        return CREDITS
    if isinstance(error, (errors.ServerError, errors.NetworkError, errors.RateLimitError, JobTimeout)):
        return SERVER
    if isinstance(error, (errors.InvalidRequestError, JobFailedError, UsageError, OSError)):
        return USAGE
    return SERVER if isinstance(error, errors.BackdropError) else USAGE


def error_json(error: BaseException) -> Json:
    if isinstance(error, errors.BackdropError):
        return {"status": error.status, "code": error.code, "message": error.message, "details": error.details}
    return {"status": 0, "code": "USAGE" if isinstance(error, UsageError) else type(error).__name__.upper(), "message": str(error)}


# --- configuration ------------------------------------------------------------------------------


def config_dir() -> pathlib.Path:
    """$BACKDROP_CONFIG_DIR, else the platform's user config folder (XDG on Linux)."""
    if os.environ.get("BACKDROP_CONFIG_DIR"):
        return pathlib.Path(os.environ["BACKDROP_CONFIG_DIR"])
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        return pathlib.Path(os.environ["APPDATA"]) / "backdrop"
    if sys.platform == "darwin":
        return pathlib.Path.home() / "Library" / "Application Support" / "backdrop"
    return pathlib.Path(os.environ.get("XDG_CONFIG_HOME") or pathlib.Path.home() / ".config") / "backdrop"


def credentials_file() -> pathlib.Path:
    return config_dir() / "credentials.json"


def load_credentials() -> Json:
    try:
        return json.loads(credentials_file().read_text())
    except (OSError, ValueError):
        return {}


def save_credentials(stored: Json) -> pathlib.Path:
    """Written owner-only (0600, in a 0700 folder): it holds a key to the account."""
    path = credentials_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_name(path.name + ".tmp")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        json.dump(stored, file, indent=2)
    os.chmod(partial, 0o600)
    os.replace(partial, path)
    return path


class Context:
    """The run's settings and output."""

    def __init__(self, args: argparse.Namespace):
        stored = load_credentials()
        self.url = (getattr(args, "url", None) or os.environ.get("BACKDROP_URL") or stored.get("url") or DEFAULT_URL).rstrip("/")
        self.api_key: Optional[str] = getattr(args, "api_key", None) or os.environ.get("BACKDROP_API_KEY") or stored.get("api_key")
        self.json = bool(getattr(args, "json", False))
        self.quiet = bool(getattr(args, "quiet", False))

    def client(self, need_key: bool = True) -> Client:
        if need_key and not self.api_key:
            raise errors.AuthenticationError(0, "NO_CREDENTIAL", "No API key: run `backdrop login`, or set BACKDROP_API_KEY")
        return Client(self.api_key, self.url)

    def bar(self, total: Optional[int], unit: str, desc: str) -> tqdm:
        return tqdm(total=total, unit=unit, desc=desc, disable=True if self.quiet else None, file=sys.stderr, leave=False)

    def say(self, text: str) -> None:
        """A line for a person: on stderr with --json, so stdout stays parseable."""
        if not self.quiet:
            print(text, file=sys.stderr if self.json else sys.stdout, flush=True)

    def emit(self, document: Any) -> None:
        print(json.dumps(document), flush=True)


# --- inputs and outputs ------------------------------------------------------------------------------


def images_in(paths: Iterable[str]) -> List[pathlib.Path]:
    """Files as given; a folder gives the images directly inside it, by name."""
    found: List[pathlib.Path] = []
    for name in paths:
        path = pathlib.Path(name)
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        elif path.is_file():
            found.append(path)
        else:
            raise UsageError(f"{name}: no such file or folder")
    return found


def output_path(source: pathlib.Path, out_dir: pathlib.Path, suffix: str, tag: str = "") -> pathlib.Path:
    """<out>/<stem><tag>.<suffix>, never the source itself."""
    target = out_dir / f"{source.stem}{tag}.{suffix}"
    return out_dir / f"{source.stem}{tag}-out.{suffix}" if target.resolve() == source.resolve() else target


def worst(codes: Sequence[int]) -> int:
    return next((code for code in PRECEDENCE if code in codes), OK)


# --- commands ------------------------------------------------------------------------------------------


def remove_options(args: argparse.Namespace) -> Dict[str, Any]:
    options = {
        "tier": args.tier, "model": args.model, "output_format": args.format, "bg_color": args.bg_color,
        "background_id": args.background_id, "crop": True if args.crop else None, "size": args.size,
        "channels": "alpha" if args.mask else None, "blur_strength": args.blur,
    }
    return {k: v for k, v in options.items() if v is not None}


def remove_one(client: Client, source: pathlib.Path, out_dir: pathlib.Path, options: Dict[str, Any]) -> Json:
    result = client.remove_background(source, **options)
    meta = result.get("metadata") or {}
    target = output_path(source, out_dir, meta.get("format") or options.get("output_format") or "png")
    client.save(result["image"], target)
    return {
        "input": str(source), "output": str(target), "id": result.get("id", ""), "credits_used": result.get("credits_used", 0),
        "tier": result.get("tier", ""), "width": meta.get("width"), "height": meta.get("height"),
    }


def attempt(work: Callable[[], Json], source: pathlib.Path) -> Json:
    try:
        return work()
    except (errors.BackdropError, OSError) as error:
        return {"input": str(source), "error": error_json(error), "exit": exit_code(error)}


def cmd_remove(ctx: Context, args: argparse.Namespace) -> int:
    options = remove_options(args)
    client = ctx.client()
    if args.watch:
        if len(args.inputs) != 1 or not pathlib.Path(args.inputs[0]).is_dir():
            raise UsageError("--watch takes one folder")
        folder = pathlib.Path(args.inputs[0])
        return watch(ctx, client, folder, pathlib.Path(args.output) if args.output else folder / "removed", options, args.interval)
    sources = images_in(args.inputs)
    if not sources:
        raise UsageError("no images found (.png, .jpg, .jpeg, .webp)")
    out_dir = pathlib.Path(args.output or ".")
    results: List[Json] = []
    with ctx.bar(len(sources), "img", "removing") as bar, concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        futures = {pool.submit(attempt, lambda s=s: remove_one(client, s, out_dir, options), s): s for s in sources}
        for future in concurrent.futures.as_completed(futures):
            results.append(future.result())
            bar.update(1)
    results.sort(key=lambda r: sources.index(pathlib.Path(r["input"])))
    return report(ctx, results)


def report(ctx: Context, results: List[Json]) -> int:
    failed = [r for r in results if "error" in r]
    if ctx.json:
        ctx.emit(results)
    for r in results:
        if "error" in r:
            print(f"{r['input']}: {r['error']['code']}: {r['error']['message']}", file=sys.stderr)
        elif not ctx.json:
            ctx.say(f"{r['input']} -> {r['output']}")
    if not failed:
        return OK
    code = worst([r["exit"] for r in failed])
    return code if len(failed) == len(results) or code in (AUTH, CREDITS) else PARTIAL


def watch(ctx: Context, client: Client, folder: pathlib.Path, out_dir: pathlib.Path, options: Dict[str, Any], interval: float) -> int:
    """Like `rembg p -w`: every image in the folder, then each new one once its size has
    stopped changing, until SIGINT or SIGTERM (exit 0)."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    done: set = set()
    written: set = set()
    sizes: Dict[pathlib.Path, int] = {}
    codes: List[int] = []
    ctx.say(f"watching {folder} (Ctrl-C stops); results in {out_dir}")
    while not stop.is_set():
        for path in sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES):
            key = path.resolve()
            if key in done or key in written or stop.is_set():
                continue
            size = path.stat().st_size
            if sizes.get(key) != size or size == 0:  # still being written: look again next round
                sizes[key] = size
                continue
            done.add(key)
            result = attempt(lambda: remove_one(client, path, out_dir, options), path)
            if "output" in result:
                written.add(pathlib.Path(result["output"]).resolve())
            else:
                codes.append(result["exit"])
                print(f"{path}: {result['error']['code']}: {result['error']['message']}", file=sys.stderr, flush=True)
            if ctx.json:
                ctx.emit(result)
            elif "output" in result:
                ctx.say(f"{path} -> {result['output']}")
            if codes and codes[-1] in (AUTH, CREDITS):
                return codes[-1]  # every next file would fail the same way
        stop.wait(interval)
    ctx.say("stopped")
    return OK


def cmd_batch(ctx: Context, args: argparse.Namespace) -> int:
    if not args.zip and not args.output:
        raise UsageError("say where the results go: --zip FILE and/or -o DIR")
    sources = images_in([args.folder])
    if not 2 <= len(sources) <= 500:
        raise UsageError(f"a batch is 2 to 500 images; {args.folder} has {len(sources)}")
    if not ctx.api_key:
        raise errors.AuthenticationError(0, "NO_CREDENTIAL", "No API key: run `backdrop login`, or set BACKDROP_API_KEY")
    with ctx.bar(100, "%", "batch") as bar, BackgroundRemoverClient(ctx.api_key, ctx.url) as client:

        def moved(progress: Progress) -> None:
            bar.n = progress.percentage
            bar.refresh()

        batch = client.start_batch(sources, tier=args.tier, on_progress=moved)
        status = batch.wait_for_completion(timeout=args.timeout)
        archive = batch.download_zip(args.zip or pathlib.Path(args.output) / f"{batch.id}.zip")
    with zipfile.ZipFile(archive) as results:
        names = results.namelist()
        if args.output:
            results.extractall(args.output)
    if not args.zip:
        archive.unlink()
    progress = status.progress
    summary = {
        "batch_id": batch.id, "status": status.status, "total": progress.total_images, "processed": progress.processed_images,
        "failed": progress.failed_images, "credits": status.raw.get("pricing", {}).get("totalCredits"), "zip": args.zip,
        "output": args.output, "files": names,
    }
    if ctx.json:
        ctx.emit(summary)
    else:
        ctx.say(f"batch {batch.id}: {progress.processed_images} of {progress.total_images} done, {progress.failed_images} failed"
                + (f"; {args.zip}" if args.zip else "") + (f"; {args.output}" if args.output else ""))
    if progress.failed_images:
        return USAGE if progress.processed_images == 0 else PARTIAL
    return OK


def cmd_upscale(ctx: Context, args: argparse.Namespace) -> int:
    client = ctx.client()
    sources = images_in(args.inputs)
    out_dir = pathlib.Path(args.output or ".")

    def one(source: pathlib.Path) -> Json:
        enhancement = client.upscale(source, scale=args.scale, model=args.model, quality=args.quality, timeout=args.timeout)
        image = enhancement["enhancedImage"]
        target = output_path(source, out_dir, "png", f"-x{args.scale}")
        client.save(image["url"], target)
        return {"input": str(source), "output": str(target), "id": enhancement["id"], "width": image.get("width"), "height": image.get("height"),
                "model": enhancement.get("settings", {}).get("model", "")}

    results = []
    with ctx.bar(len(sources), "img", "upscaling") as bar:
        for source in sources:
            results.append(attempt(lambda: one(source), source))
            bar.update(1)
    return report(ctx, results)


def cmd_generate(ctx: Context, args: argparse.Namespace) -> int:
    client = ctx.client()
    out_dir = pathlib.Path(args.output or ".")
    params = {
        "negativePrompt": args.negative_prompt, "numImages": args.num_images, "aspectRatio": args.aspect_ratio, "quality": args.quality,
        "steps": args.steps, "seed": args.seed, "guidanceScale": args.guidance, "model": args.model,
    }
    with ctx.bar(100, "%", "generating") as bar:

        def moved(generation: Json) -> None:
            bar.n = int(generation.get("progress") or 0)
            bar.refresh()

        generation = client.generate(args.prompt, on_progress=moved, timeout=args.timeout, **params)
    files = []
    for n, image in enumerate(generation.get("images", []), 1):
        target = out_dir / f"{generation['id']}-{n}.png"
        client.save(image["url"], target)
        files.append({"output": str(target), "width": image.get("width"), "height": image.get("height"), "seed": image.get("seed"),
                      "filtered": bool(image.get("filtered"))})
    if ctx.json:
        ctx.emit({"id": generation["id"], "status": generation["status"], "prompt": generation.get("prompt", ""), "images": files})
    else:
        for item in files:
            ctx.say(item["output"] + (" (withheld by the safety filter)" if item["filtered"] else ""))
    return OK


def cmd_login(ctx: Context, args: argparse.Namespace) -> int:
    """Stores an API key: the one given, or a new one made after logging in."""
    if args.key:
        client, email, key, key_id = Client(args.key, ctx.url), "", args.key, ""
        email = client.me().get("email", "")  # checks the key before it is stored
    else:
        email = args.email or input("Email: ")
        if args.password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = os.environ.get("BACKDROP_PASSWORD") or getpass.getpass("Password: ")
        client = Client(None, ctx.url)
        client.login(email, password, args.code)
        created = client.create_api_key(args.name or f"backdrop CLI on {socket.gethostname()}"[:100])
        key, key_id = created["key"], created.get("api_key", {}).get("id", "")
    path = save_credentials({"url": ctx.url, "api_key": key, "api_key_id": key_id, "email": email})
    if ctx.json:
        ctx.emit({"url": ctx.url, "email": email, "api_key_id": key_id, "credentials": str(path)})
    else:
        ctx.say(f"Logged in to {ctx.url}" + (f" as {email}" if email else "") + f"; API key stored in {path}")
    return OK


def cmd_logout(ctx: Context, args: argparse.Namespace) -> int:
    stored = load_credentials()
    if stored.get("api_key_id") and stored.get("api_key"):
        try:
            Client(stored["api_key"], stored.get("url") or ctx.url).delete_api_key(stored["api_key_id"])
        except errors.BackdropError as error:
            print(f"the stored key was not revoked: {error.message}", file=sys.stderr)
    credentials_file().unlink(missing_ok=True)
    ctx.say("Logged out")
    return OK


def cmd_credits(ctx: Context, args: argparse.Namespace) -> int:
    credits = ctx.client().credits(limit=args.history)
    if ctx.json:
        ctx.emit(credits)
        return OK
    ctx.say(f"{credits.get('balance', 0)} credits on plan {credits.get('plan', '?')}"
            + (f" (renews {credits['reset_date']})" if credits.get("reset_date") else ""))
    for entry in credits.get("history", [])[: args.history]:
        ctx.say(f"  {entry.get('created_at', '')}  {entry.get('kind', ''):>7}  {entry.get('amount', 0):>6}  {entry.get('reason', '')}")
    return OK


# --- parsing -----------------------------------------------------------------------------------------------


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # exit 1, not argparse's 2 (which means auth here)
        self.print_usage(sys.stderr)
        self.exit(USAGE, f"{self.prog}: error: {message}\n")


def parser() -> Parser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--url", default=argparse.SUPPRESS, help="server (default: $BACKDROP_URL, the stored one, http://127.0.0.1:8080)")
    common.add_argument("--api-key", default=argparse.SUPPRESS, help="API key (default: $BACKDROP_API_KEY, the stored one)")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output on stdout")
    common.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help="no progress bars or messages")
    top = Parser(prog="backdrop", description=__doc__.split("\n\n")[0], epilog=EXIT_CODES, parents=[common],
                 formatter_class=argparse.RawDescriptionHelpFormatter)
    top.add_argument("--version", action="version", version=f"backdrop {__version__}")
    commands = top.add_subparsers(dest="command", required=True, parser_class=Parser)

    def command(name: str, handler: Callable[[Context, argparse.Namespace], int], help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, parents=[common], help=help, description=help, epilog=EXIT_CODES,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        sub.set_defaults(handler=handler)
        return sub

    remove = command("remove", cmd_remove, "remove the background of images (files, or folders of them)")
    remove.add_argument("inputs", nargs="+", metavar="IMG")
    remove.add_argument("-o", "--output", metavar="DIR", help="where results go (default: here; with --watch, DIR/removed)")
    remove.add_argument("--watch", action="store_true", help="keep processing new files of the folder until Ctrl-C")
    remove.add_argument("--interval", type=float, default=1.0, help="seconds between looks at the folder (--watch)")
    remove.add_argument("--tier", choices=("basic", "standard", "professional", "industry"))
    remove.add_argument("--model", help="u2netp, modnet, ... (priced as the tier that covers it)")
    remove.add_argument("--format", choices=("png", "jpg", "webp"), help="output format (default png)")
    remove.add_argument("--bg-color", help="#rrggbb[aa] or r,g,b[,a] instead of transparency")
    remove.add_argument("--background-id", help="a library or own background")
    remove.add_argument("--blur", type=float, metavar="0-1", help="blur the background instead of removing it")
    remove.add_argument("--crop", action="store_true", help="crop to the subject")
    remove.add_argument("--size", choices=("preview", "medium", "full"))
    remove.add_argument("--mask", action="store_true", help="the mask alone (one channel)")
    remove.add_argument("-j", "--jobs", type=int, default=2, help="images in flight at once (default 2)")

    batch = command("batch", cmd_batch, "one batch of a folder's images (2-500, volume priced), as a ZIP")
    batch.add_argument("folder", metavar="DIR")
    batch.add_argument("--zip", metavar="FILE", help="write the results' ZIP here")
    batch.add_argument("-o", "--output", metavar="DIR", help="unpack the results here")
    batch.add_argument("--tier", default="standard", choices=("basic", "standard", "professional", "industry"))
    batch.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait for the batch")

    upscale = command("upscale", cmd_upscale, "upscale images 2x or 4x")
    upscale.add_argument("inputs", nargs="+", metavar="IMG")
    upscale.add_argument("--scale", type=int, choices=(2, 4), default=2)
    upscale.add_argument("--model", help="waifu2x, real-esrgan, ... (default: by scale and quality)")
    upscale.add_argument("--quality", choices=("standard", "high", "ultra"))
    upscale.add_argument("-o", "--output", metavar="DIR", help="where results go (default: here)")
    upscale.add_argument("--timeout", type=float, default=900.0)

    generate = command("generate", cmd_generate, "generate images from a text prompt")
    generate.add_argument("prompt")
    generate.add_argument("-o", "--output", metavar="DIR", help="where images go (default: here)")
    generate.add_argument("-n", "--num-images", type=int)
    generate.add_argument("--negative-prompt")
    generate.add_argument("--aspect-ratio", choices=("1:1", "16:9", "9:16", "4:3", "3:4"))
    generate.add_argument("--quality", choices=("standard", "hd", "ultra-hd"))
    generate.add_argument("--steps", type=int)
    generate.add_argument("--seed", type=int)
    generate.add_argument("--guidance", type=float)
    generate.add_argument("--model")
    generate.add_argument("--timeout", type=float, default=900.0)

    login = command("login", cmd_login, "store an API key for later commands (asks for email and password)")
    login.add_argument("--email")
    login.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    login.add_argument("--code", help="two-factor code, when the account has it on")
    login.add_argument("--key", metavar="API_KEY", help="store this API key instead of logging in")
    login.add_argument("--name", help="name of the API key made (default: backdrop CLI on <host>)")

    command("logout", cmd_logout, "revoke and forget the stored API key")
    credits = command("credits", cmd_credits, "credit balance, plan and recent ledger entries")
    credits.add_argument("--history", type=int, default=5, help="ledger entries shown (default 5)")
    return top


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parser().parse_args(argv)
    ctx = Context(args)
    try:
        return args.handler(ctx, args)
    except KeyboardInterrupt:
        return INTERRUPTED
    except (errors.BackdropError, UsageError, OSError) as error:
        if ctx.json:
            print(json.dumps({"error": error_json(error)}), file=sys.stderr)
        else:
            message = error.message if isinstance(error, errors.BackdropError) else str(error)
            code = f"{error.code}: " if isinstance(error, errors.BackdropError) else ""
            print(f"backdrop: {code}{message}", file=sys.stderr)
        return exit_code(error)


if __name__ == "__main__":
    sys.exit(main())
