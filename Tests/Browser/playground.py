#!/usr/bin/env python3
"""The playground page of `swiftlet serve` in headless Chromium (selenium).

First, with a web build that lacks the WebAssembly engine (web/'s scripts, no .wasm),
checks that the page offers the in-browser engine disabled, with the reason beside it.

Then starts the release build's `swiftlet serve` (default model, and web/ as the web build)
on a free port, asks the page "Explain what a prime number is in one sentence." with greedy
decoding, and checks that the answer streams in, that it is the right one, and that the
metrics panel fills. Then switches the page to run the same model in the browser
(WebAssembly in a worker, the model fetched from the server into OPFS) and checks that the
answer is the same. Saves screenshots to .build/artifacts/playground*.png.

Needs: chromium, chromium-driver (Debian) and selenium (PyPI); `swift build -c release`
and `scripts/build-wasm`.
"""
import contextlib, os, pathlib, shutil, socket, subprocess, sys, tempfile

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

ROOT = pathlib.Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / ".build" / "artifacts"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(web_root):
    """`swiftlet serve` on a free port with `web_root` as its web build; yields the port."""
    port = free_port()
    server = subprocess.Popen([str(ROOT / ".build/release/swiftlet"), "serve", "--port", str(port),
                               "--web-root", str(web_root)],
                              stderr=subprocess.PIPE, text=True)
    try:
        for line in server.stderr:
            if "serving on" in line:
                break
        else:
            sys.exit("swiftlet serve did not start")
        yield port
    finally:
        server.terminate()
        server.wait()


def chromium():
    os.environ["SE_AVOID_STATS"] = "true"  # selenium would phone home otherwise
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=webdriver.ChromeService("/usr/bin/chromedriver"))


def engine_option(browser, port):
    """The page's in-browser engine choice, once the server has said whether it can run."""
    browser.get(f"http://127.0.0.1:{port}/")
    WebDriverWait(browser, 60).until(
        lambda b: b.find_element(By.ID, "engine-choice").get_attribute("data-ready") == "true")
    option = browser.find_element(By.CSS_SELECTOR, '#engine option[value="browser"]')
    return option, browser.find_element(By.ID, "engine-note")


def check_unbuilt_engine(browser):
    """A web build without swiftlet.wasm: the choice is there, disabled, with the reason."""
    with tempfile.TemporaryDirectory() as web:
        for script in (ROOT / "web").glob("*.js"):
            shutil.copy(script, web)
        with serve(web) as port:
            option, note = engine_option(browser, port)
            assert not option.is_enabled(), "the browser engine is offered without swiftlet.wasm"
            assert note.is_displayed() and note.text == "the browser engine is not built: run scripts/build-wasm", note.text
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            browser.save_screenshot(str(ARTIFACTS / "playground-unbuilt.png"))
    print(f"without swiftlet.wasm: the browser engine is disabled ({note.text!r})")


def main():
    browser = chromium()
    try:
        check_unbuilt_engine(browser)
        with serve(ROOT / "web") as port:
            option, note = engine_option(browser, port)
            assert option.is_enabled(), f"the browser engine is not offered: {note.text!r} (run scripts/build-wasm)"
            wait = WebDriverWait(browser, 120)
            wait.until(lambda b: b.find_element(By.ID, "size").text != "–")
            size = browser.find_element(By.ID, "size").text
            question = "Explain what a prime number is in one sentence."
            answer = lambda: (browser.find_elements(By.CSS_SELECTOR, ".turn.assistant") or [None])[-1]

            def ask():
                """The answer, and how many times the page updated it (streaming: many)."""
                browser.execute_script("""
                    window.updates = 0;
                    new MutationObserver(() => window.updates++).observe(
                        document.getElementById("log"), {subtree: true, childList: true, characterData: true});""")
                browser.find_element(By.ID, "question").send_keys(question)
                browser.find_element(By.ID, "send").click()
                wait.until(lambda b: answer() is not None and len(answer().text) > 0)
                wait.until(lambda b: b.find_element(By.ID, "send").is_enabled())
                return browser.execute_script("return window.updates"), answer().text

            updates, final = ask()
            ttft = browser.find_element(By.ID, "ttft").text
            decode = browser.find_element(By.ID, "decode").text
            tokens = browser.find_element(By.ID, "tokens").text
            browser.save_screenshot(str(ARTIFACTS / "playground.png"))

            # The same question, answered in the browser by the WebAssembly engine.
            browser.find_element(By.ID, "reset").click()
            Select(browser.find_element(By.ID, "engine")).select_by_value("browser")
            _, in_browser = ask()
            where = browser.find_element(By.ID, "where").text
            browser_decode = browser.find_element(By.ID, "decode").text
            browser.save_screenshot(str(ARTIFACTS / "playground-browser.png"))
    finally:
        browser.quit()

    print(f"model size {size}; {updates} page updates; answer {final!r}; ttft {ttft}; decode {decode}; tokens {tokens}")
    assert final.startswith("A prime number is a positive integer greater than 1"), final
    assert updates > 10, f"the answer did not stream ({updates} page updates)"
    assert ttft.endswith(" ms") and decode.endswith(" tok/s"), (ttft, decode)
    assert not tokens.startswith("0 "), f"the usage chunk did not reach the page ({tokens})"
    print(f"in the browser ({where}, decode {browser_decode}): {in_browser!r}")
    assert in_browser == final, "the WebAssembly engine answered differently"
    assert where.startswith("browser"), where
    print("playground: ok; screenshots in", ARTIFACTS)


if __name__ == "__main__":
    main()
