#!/usr/bin/env python3
"""A person's visit to the site, in headless Chromium: `make smoke` and CI's browser check.

Debian's chromium and chromedriver, driven by selenium. The browser trusts the
demo's CAs through a throwaway NSS database (it never ignores a certificate
error), and reaches the site's names through --host-resolver-rules. Each step
saves a screenshot under the reports directory; the first step that breaks
ends the run with its name and why.

The admin's password comes from an environment variable (never the command
line), or from the local droplets' secrets file.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

# Django admin's header colour (--header-bg in admin/css/base.css): the sign
# that the admin's stylesheet from the object store was applied.
ADMIN_HEADER_BG = "rgba(65, 118, 144, 1)"
STEPS = ("polls page", "admin stylesheet", "admin login", "create question",
         "public question", "vote", "expired CSRF cookie")


class StepFailed(Exception):
    """A step did not see what a person would."""


@dataclass
class Options:
    site: str
    resolve: list[str] = field(default_factory=list)
    cas: list[Path] = field(default_factory=list)
    admin_user: str = "admin"
    admin_password: str = ""
    reports: Path = Path("reports/smoke")
    steps: tuple[str, ...] = STEPS
    question: str = ""
    chromium: str = "/usr/bin/chromium"
    chromedriver: str = "/usr/bin/chromedriver"
    timeout: float = 20.0
    retries: int = 2


def resolver_rules(pairs: list[str]) -> str:
    """'name=address' pairs as Chromium's --host-resolver-rules value."""
    rules = []
    for pair in pairs:
        name, sep, address = pair.partition("=")
        if not sep or not name or not address:
            raise ValueError(f"--resolve wants NAME=ADDRESS, got {pair!r}")
        rules.append(f"MAP {name} {address}")
    return ", ".join(rules)


def read_secret(path: Path, key: str) -> str:
    """One value of a flat YAML secrets file (the local droplets' secrets.yml)."""
    import yaml  # PyYAML comes with ansible-core

    data = yaml.safe_load(path.read_text()) or {}
    value = data.get(key)
    if not value:
        raise ValueError(f"{key} is not set in {path}")
    return str(value)


def chromium_arguments(opts: Options, profile: Path) -> list[str]:
    """Headless, no calls home (this machine's network is closed), our own profile."""
    args = ["--headless=new", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--window-size=1280,1000", f"--user-data-dir={profile}",
            "--disable-dev-shm-usage"]  # containers have a small /dev/shm
    if os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium's sandbox refuses to run as root
    if opts.resolve:
        args.append(f"--host-resolver-rules={resolver_rules(opts.resolve)}")
    return args


def trust_store(home: Path, cas: list[Path]) -> None:
    """A throwaway NSS database under HOME that trusts each CA for TLS servers."""
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    subprocess.run(["certutil", "-d", f"sql:{nssdb}", "-N", "--empty-password"], check=True)
    for index, ca in enumerate(cas):
        subprocess.run(["certutil", "-d", f"sql:{nssdb}", "-A", "-t", "C,,", "-n", f"demo-ca-{index}",
                        "-i", str(ca)], check=True)


class Visit:
    """The browser session and the steps of the visit."""

    def __init__(self, opts: Options, driver):
        self.opts = opts
        self.driver = driver
        self.shot = 0
        self.question_url = ""

    # --- helpers --------------------------------------------------------
    def url(self, path: str) -> str:
        return self.opts.site.rstrip("/") + path

    def screenshot(self, step: str) -> None:
        self.shot += 1
        self.opts.reports.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(self.opts.reports / f"{self.shot:02d}-{step.replace(' ', '-')}.png"))

    def wait(self, condition, failure):
        """What `condition` returns once it holds; StepFailed(failure()) when it does not within the timeout."""
        from selenium.common.exceptions import TimeoutException
        from selenium.webdriver.support.ui import WebDriverWait

        try:
            return WebDriverWait(self.driver, self.opts.timeout).until(condition)
        except TimeoutException:
            raise StepFailed(failure()) from None

    def find(self, by: str, value: str):
        from selenium.webdriver.support import expected_conditions as ec

        return self.wait(ec.presence_of_element_located((by, value)),
                         lambda: f"no {value!r} on {self.driver.current_url} ({self.driver.title!r})")

    def click_and_wait(self, by: str, value: str) -> None:
        """Click what loads another page, and wait until the old one is gone
        (else the next lookup may still find the old page's elements)."""
        from selenium.webdriver.support import expected_conditions as ec

        old = self.driver.find_element("tag name", "html")
        self.find(by, value).click()
        self.wait(ec.staleness_of(old), lambda: f"clicking {value!r} on {self.driver.current_url} loaded no new page")

    def open(self, url: str) -> None:
        """Load a page as a person would, pressing Reload (up to 3 times) when Chromium dropped it because a network
        interface of the machine changed: a GET, safe to repeat (a form's POST is not; see visit())."""
        for reload in range(4):
            if reload:
                time.sleep(1)
            self.driver.get(url)
            if error_code(self.driver) not in RETRIED_ERRORS:
                return

    def page_text(self) -> str:
        return self.driver.find_element("tag name", "body").text

    def console_errors(self) -> list[str]:
        """The console's errors, but for the site's missing favicon (the polls app has none; browsers ask anyway)."""
        return [entry["message"] for entry in self.driver.get_log("browser")
                if entry["level"] == "SEVERE" and not entry["message"].startswith(self.url("/favicon.ico "))]

    # --- steps ------------------------------------------------------------
    def polls_page(self) -> None:
        self.open(self.url("/polls/"))
        heading = self.find("tag name", "h1").text
        if heading != "Polls":
            raise StepFailed(f"the page's heading is {heading!r}, not 'Polls'")

    def admin_stylesheet(self) -> None:
        self.open(self.url("/admin/login/"))
        header = self.find("id", "header")
        colour = header.value_of_css_property("background-color")  # selenium reports rgba()
        if colour != ADMIN_HEADER_BG:
            raise StepFailed(f"the admin's stylesheet was not applied: the header is {colour}, not {ADMIN_HEADER_BG}")
        href = self.driver.execute_script(
            "const l = [...document.querySelectorAll('link[rel=stylesheet]')].find(e => e.href.includes('/admin/css/'));"
            "return l ? l.href : '';")
        if not href:
            raise StepFailed("the login page links no admin stylesheet")
        # What fonts and module scripts from the store go through: a CORS
        # request from the site's origin, which the bucket's rule must allow.
        outcome = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch(arguments[0], {mode: 'cors', credentials: 'omit', cache: 'no-store'})"
            ".then(r => done('HTTP ' + r.status)).catch(e => done('refused: ' + e));", href)
        if outcome != "HTTP 200":
            raise StepFailed(f"a CORS request for {href} from {self.opts.site} was {outcome}")
        errors = self.console_errors()
        if errors:
            raise StepFailed(f"the browser's console reported: {errors}")

    def admin_login(self) -> None:
        self.open(self.url("/admin/login/?next=/admin/"))
        self.find("id", "id_username").send_keys(self.opts.admin_user)
        self.find("id", "id_password").send_keys(self.opts.admin_password)
        self.click_and_wait("css selector", "input[type=submit]")
        self.find("id", "user-tools")
        if "Site administration" not in self.driver.title:
            raise StepFailed(f"after logging in the page is {self.driver.title!r}: {self.page_text()[:200]!r}")

    def create_question(self) -> None:
        self.open(self.url("/admin/polls/question/add/"))
        self.find("id", "id_question_text").send_keys(self.opts.question)
        # The date fieldset is collapsed; its "Today" and "Now" shortcuts are
        # drawn by the admin's JavaScript from the object store.
        self.driver.execute_script("document.querySelectorAll('details').forEach(d => d.open = true);")
        for shortcut in ("Today", "Now"):
            self.find("link text", shortcut).click()
        self.find("id", "id_choice_set-0-choice_text").send_keys("Yes")
        self.find("id", "id_choice_set-1-choice_text").send_keys("No")
        self.click_and_wait("name", "_save")
        message = self.find("css selector", "ul.messagelist li").text
        if "was added successfully" not in message:
            raise StepFailed(f"the admin said {message!r}")

    def public_question(self) -> None:
        self.open(self.url("/polls/"))
        self.click_and_wait("link text", self.opts.question)
        legend = self.find("tag name", "h1").text
        labels = [label.text for label in self.driver.find_elements("css selector", "label")]
        if legend != self.opts.question or labels != ["Yes", "No"]:
            raise StepFailed(f"the question page shows {legend!r} with choices {labels}")
        self.question_url = self.driver.current_url

    def vote(self) -> None:
        self.open(self.question_url)
        self.find("id", "choice1").click()
        self.click_and_wait("css selector", "input[type=submit]")
        self.find("css selector", "ul li")
        results = [item.text for item in self.driver.find_elements("css selector", "ul li")]
        if results != ["Yes -- 1 vote", "No -- 0 votes"]:
            raise StepFailed(f"the results read {results}")

    def expired_csrf_cookie(self) -> None:
        self.open(self.question_url)
        self.find("id", "choice1").click()
        self.driver.delete_cookie("csrftoken")
        self.click_and_wait("css selector", "input[type=submit]")
        self.find("tag name", "h1")
        text = self.page_text()
        if "CSRF verification failed" not in text or "403" not in text:
            raise StepFailed(f"a vote without its CSRF cookie gave {text[:200]!r}, not Django's 403 page")


# Chromium drops the requests in flight when a network interface of the
# machine comes or goes (Docker starting another container, say) and shows
# ERR_NETWORK_CHANGED, as a person would see before pressing Reload.
RETRIED_ERRORS = {"ERR_NETWORK_CHANGED"}


def error_code(driver) -> str:
    """The network error a Chromium error page shows ('' on a page of the site)."""
    from selenium.common.exceptions import WebDriverException

    try:
        return driver.execute_script("const e = document.querySelector('.error-code'); return e ? e.textContent.trim() : '';") or ""
    except WebDriverException:
        return ""


def step_method(step: str) -> str:
    """The Visit method that does a step ("expired CSRF cookie" -> expired_csrf_cookie)."""
    return step.replace(" ", "_").replace("-", "_").lower()


def visit(opts: Options, driver) -> str:
    """Each step in turn: "ok", "failed", or "retry" when a step met a network change that a new visit may avoid."""
    # A new person: no session or CSRF cookie of an earlier, interrupted visit
    # (whose login may have gone through before the network changed).
    driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
    person = Visit(opts, driver)
    for step in opts.steps:
        started = time.monotonic()
        try:
            getattr(person, step_method(step))()
        except StepFailed as failure:
            person.screenshot(step)
            code = error_code(driver)
            print(f"smoke: step '{step}' failed: {failure}{f' [{code}]' if code else ''}", file=sys.stderr)
            return "retry" if code in RETRIED_ERRORS else "failed"
        person.screenshot(step)
        print(f"smoke: {step}: ok ({time.monotonic() - started:.1f} s)")
    return "ok"


def run(opts: Options) -> int:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for tool in ("certutil", opts.chromium, opts.chromedriver):
        if not shutil.which(tool):
            print(f"smoke: {tool} is missing (make browser installs it)", file=sys.stderr)
            return 2
    with tempfile.TemporaryDirectory(prefix="smoke-") as scratch:
        home = Path(scratch)
        trust_store(home, opts.cas)
        options = webdriver.ChromeOptions()
        options.binary_location = opts.chromium
        for argument in chromium_arguments(opts, home / "profile"):
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        # Chromium reads the NSS database from $HOME/.pki/nssdb.
        service = Service(executable_path=opts.chromedriver, env={**os.environ, "HOME": str(home)})
        driver = webdriver.Chrome(service=service, options=options)
        driver.set_page_load_timeout(opts.timeout)
        driver.set_script_timeout(opts.timeout)
        try:
            outcome = "failed"
            for attempt in range(1 + opts.retries):
                outcome = visit(replace(opts, question=opts.question + (f" (again {attempt})" if attempt else "")), driver)
                if outcome != "retry":
                    break
                print("smoke: the visit starts again, with a new question (no vote counts twice)")
            if outcome != "ok":
                return 1
        finally:
            driver.quit()
    print(f"smoke: all {len(opts.steps)} steps passed; screenshots in {opts.reports}")
    return 0


def parse(argv: list[str]) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", required=True, help="the site's origin, e.g. https://polls.localhost:8443")
    parser.add_argument("--resolve", action="append", default=[], metavar="NAME=ADDRESS",
                        help="where the browser finds a host name (repeat)")
    parser.add_argument("--ca", action="append", default=[], type=Path, help="a CA file to trust (repeat)")
    parser.add_argument("--admin-user", default="admin")
    parser.add_argument("--password-env", default="SMOKE_ADMIN_PASSWORD",
                        help="environment variable holding the admin's password")
    parser.add_argument("--secrets-file", type=Path,
                        help="or read vault_django_superuser_password from this YAML file")
    parser.add_argument("--reports", type=Path, default=Path("reports/smoke"))
    parser.add_argument("--steps", default=",".join(STEPS), help=f"comma-separated subset of: {', '.join(STEPS)}")
    parser.add_argument("--question", default="", help="the question to create (default: a new one per run)")
    parser.add_argument("--retries", type=int, default=2,
                        help="visits started again after a step met a network change (ERR_NETWORK_CHANGED)")
    args = parser.parse_args(argv)
    steps = tuple(step.strip() for step in args.steps.split(",") if step.strip())
    unknown = [step for step in steps if step not in STEPS]
    if unknown:
        parser.error(f"unknown steps {unknown}; known: {', '.join(STEPS)}")
    password = os.environ.get(args.password_env, "")
    if not password and args.secrets_file:
        password = read_secret(args.secrets_file, "vault_django_superuser_password")
    if not password and "admin login" in steps:
        parser.error(f"the admin's password: set {args.password_env} or give --secrets-file")
    resolver_rules(args.resolve)  # refuse a malformed pair before starting a browser
    return Options(site=args.site, resolve=args.resolve, cas=args.ca, admin_user=args.admin_user,
                   admin_password=password, reports=args.reports, steps=steps, retries=args.retries,
                   question=args.question or f"Smoke test {time.strftime('%Y-%m-%d %H:%M:%S')}")


if __name__ == "__main__":
    sys.exit(run(parse(sys.argv[1:])))
