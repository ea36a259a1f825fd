"""The web build in a real browser: headless Chromium driven by Selenium against
Tests/Web/static_server.py. One visitor's story, in order:
  1. first visit: the model download is cut once and resumes (HTTP Range), is verified
     (sha256) into OPFS, and the greedy answer streams while the page keeps drawing frames;
  2. a reload answers again from OPFS, with no second GET of the model;
  3. the cache lists the model;
  4. the JavaScript API from a page script: streaming, AbortSignal, chat messages,
     sizeInTokens, the module's sampling defaults and min-p, a json_schema answer, a wrong sha256 that leaves nothing in the cache, and a sha256 given
     for a model cached without one (checked, not downloaded again);
  5. the benchmark page measures prefill and decode in the browser.
Screenshots go to test-artifacts/web/. Run: python3 Tests/Web/browser_test.py
(after scripts/build-wasm; needs chromium, chromium-driver and selenium).
"""

import hashlib
import json
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, str(Path(__file__).parent))
from static_server import Server  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "web"
PROMPT = "Explain what a prime number is in one sentence."
EXPECTED_START = "A prime number is a positive integer greater than 1"
CUT_AFTER = 30_000_000


class BrowserTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        model = subprocess.run([ROOT / "scripts/fetch-models", "smollm2"], check=True, capture_output=True, text=True).stdout.strip()
        cls.sha256 = hashlib.sha256(Path(model).read_bytes()).hexdigest()
        cls.server = Server(model).start()
        cls.profile = tempfile.TemporaryDirectory()
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for argument in ["--headless=new", "--no-sandbox", f"--user-data-dir={cls.profile.name}", "--window-size=1000,1200"]:
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        cls.driver = webdriver.Chrome(options=options, service=webdriver.ChromeService("/usr/bin/chromedriver"))
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()
        cls.server.shutdown()
        cls.profile.cleanup()

    def open_page(self):
        self.driver.get(f"{self.server.base_url}/?model={self.server.model_url}&sha256={self.sha256}&temperature=0")
        self.wait_for_state("idle", timeout=20)

    def text(self, element_id):
        return self.driver.find_element(By.ID, element_id).text

    def wait_for_state(self, wanted, timeout):
        """Waits until the page's state is `wanted` (or 'error', which fails the test)."""
        def state(driver):
            return driver.execute_script("return document.body.dataset.state ?? ''")
        try:
            WebDriverWait(self.driver, timeout, poll_frequency=0.2).until(lambda d: state(d) in (wanted, "error"))
        except Exception:
            self.fail(f"timed out waiting for {wanted}; page says {self.text('progress-text')!r}; console: {self.console()}")
        self.assertEqual(state(self.driver), wanted, f"page says {self.text('progress-text')!r}; console: {self.console()}")

    def console(self):
        return [entry["message"] for entry in self.driver.get_log("browser")][-10:]

    def load_and_answer(self):
        self.driver.find_element(By.ID, "load").click()
        self.wait_for_state("ready", timeout=180)
        frames_before = int(self.text("frames"))
        self.driver.find_element(By.ID, "ask").click()
        self.wait_for_state("answered", timeout=180)
        self.assertTrue(self.text("answer").startswith(EXPECTED_START), self.text("answer"))
        # The page's thread kept drawing while the worker computed.
        self.assertGreater(int(self.text("answer-frames")), 20)
        self.assertGreater(int(self.text("frames")), frames_before + 20)

    def test_1_first_visit_resumes_a_cut_download_and_answers(self):
        self.server.cut_next_model_download_after = CUT_AFTER
        self.open_page()
        self.load_and_answer()
        gets = self.server.model_gets()
        self.assertEqual(len(gets), 2, gets)
        self.assertEqual((gets[0][2], gets[0][3]), (None, 200))
        resumed_from = int(gets[1][2].removeprefix("bytes=").removesuffix("-"))
        self.assertTrue(0 < resumed_from <= CUT_AFTER, gets[1])
        self.assertEqual(gets[1][3], 206)
        self.assertRegex(self.text("decode"), r"^\d+ tokens, [\d.]+ tokens/s \(endOfGeneration\)$")
        print(f"\nfirst visit: resumed from byte {resumed_from}; download {self.text('download')}, "
              f"load {self.text('load-time')}, first token {self.text('ttft')}, prefill {self.text('prefill')}, "
              f"decode {self.text('decode')}, {self.text('answer-frames')} frames during the answer", file=sys.stderr)
        self.driver.save_screenshot(str(ARTIFACTS / "first-visit.png"))

    def test_2_reload_answers_from_opfs_without_downloading(self):
        gets_before = len(self.server.model_gets())
        self.driver.refresh()
        self.open_page()
        self.load_and_answer()
        self.assertEqual(len(self.server.model_gets()), gets_before, self.server.model_gets())
        self.assertEqual(self.text("download"), "from the cache (no download)")
        print(f"\nreload: load {self.text('load-time')}, first token {self.text('ttft')}, "
              f"decode {self.text('decode')}", file=sys.stderr)
        self.driver.save_screenshot(str(ARTIFACTS / "reload.png"))

    def test_3_cache_lists_the_model(self):
        self.assertIn(Path(self.server.model_url).name, self.text("cache"))
        self.assertIn("98.4 MB", self.text("cache"))

    def test_4_javascript_api(self):
        # Runs in the page: the answer as an async iterator, stopped by an AbortSignal after
        # three pieces; a chat given as messages; sizeInTokens; a session's two turns; a model
        # with a wrong sha256.
        script = """
        const [url, sha256, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
        (async () => {
          const { LlmInference, ModelCache } = await import('./swiftlet.js');
          const llm = await LlmInference.createFromOptions({ modelAssetPath: url, temperature: 0, maxTokens: 64 });
          const controller = new AbortController();
          const pieces = [];
          let aborted = null;
          try {
            for await (const piece of llm.generateResponseStream('Write a poem about the sea.', { signal: controller.signal })) {
              pieces.push(piece);
              if (pieces.length === 3) controller.abort();
            }
          } catch (error) { aborted = error.name; }
          const afterAbort = llm.lastStats;
          const chat = await llm.generateResponse([
            { role: 'system', content: 'You are a helpful AI assistant named SmolLM, trained by Hugging Face' },
            { role: 'user', content: 'Explain what a prime number is in one sentence.' }]);
          const tokens = await llm.sizeInTokens('Hello world');
          // A session's second turn evaluates only itself: the context holds the first.
          const session = llm.createSession({ system: 'You are a helpful AI assistant named SmolLM, trained by Hugging Face' });
          await session.generateResponse('What is the capital of France?', undefined, { maxTokens: 8 });
          const firstTurn = llm.lastStats;
          await session.generateResponse('And of Italy?', undefined, { maxTokens: 8 });
          const secondTurn = llm.lastStats, sessionLength = session.messages.length;
          // The module's defaults reach the page; min-p goes through the worker (min-p 1
          // leaves only the likeliest token, so a hot sampler answers greedily).
          const defaults = llm.defaultOptions;
          let unknownOption = null;
          try { llm.setOptions({ topk: 1 }); } catch (error) { unknownOption = `${error.name}: ${error.message}`; }
          const minP1 = await llm.generateResponse('Explain what a prime number is in one sentence.', undefined,
            { temperature: 5, topK: 0, topP: 1, minP: 1 });
          // Structured output through the worker: JSON valid against a schema.
          const schema = { type: 'object', properties: { name: { type: 'string', maxLength: 24 }, age: { type: 'integer' } },
                           required: ['name', 'age'], additionalProperties: false };
          const json = await llm.generateResponse('Describe Alice, who is 30 years old, as JSON with her name and age.', undefined,
            { responseFormat: { type: 'json_schema', json_schema: { name: 'person', schema } } });
          const jsonStats = llm.lastStats;
          llm.close();
          let wrongSha = null;
          try {
            await LlmInference.createFromOptions({ modelAssetPath: url + '?copy', sha256: '0'.repeat(64) });
          } catch (error) { wrongSha = error.message; }
          const cached = (await ModelCache.list()).map((m) => m.url);
          // Cached without a checksum, then asked for with one: verified, not downloaded again.
          (await LlmInference.createFromOptions({ modelAssetPath: url + '?plain' })).close();
          const plain = await LlmInference.createFromOptions({ modelAssetPath: url + '?plain', sha256 });
          const verifiedLater = plain.loadStats.downloaded;
          plain.close();
          await ModelCache.delete(url + '?plain');
          return { pieces, aborted, afterAbort, chat, tokens, firstTurn, secondTurn, sessionLength, defaults, unknownOption, minP1, json, jsonStats, wrongSha, cached, verifiedLater };
        })().then(done, (error) => done({ error: String(error) }));
        """
        self.driver.set_script_timeout(180)
        gets_before = len(self.server.model_gets())
        result = self.driver.execute_async_script(script, self.server.model_url, self.sha256)
        self.assertNotIn("error", result)
        self.assertEqual(len(result["pieces"]), 3)
        self.assertEqual(result["aborted"], "AbortError")
        self.assertEqual(result["afterAbort"]["finishReason"], "cancelled")
        self.assertLessEqual(result["afterAbort"]["generatedTokens"], 4)
        self.assertTrue(result["chat"].startswith(EXPECTED_START), result["chat"])
        self.assertEqual(result["tokens"], 2)
        self.assertEqual(result["firstTurn"]["reusedTokens"], 0)
        self.assertEqual(result["secondTurn"]["reusedTokens"], result["firstTurn"]["tokensInContext"])
        self.assertLess(result["secondTurn"]["promptTokens"], result["firstTurn"]["promptTokens"])
        self.assertEqual(result["sessionLength"], 5)
        self.assertEqual(result["defaults"], {"maxTokens": 512, "temperature": 0.8, "topK": 40, "topP": 0.95,
                                              "minP": 0.05, "repetitionPenalty": 1, "randomSeed": 0,
                                              "speculation": "auto"})
        self.assertRegex(result["unknownOption"], r"^TypeError: unknown option 'topk'")
        self.assertTrue(result["minP1"].startswith(EXPECTED_START), result["minP1"])
        person = json.loads(result["json"])
        self.assertEqual(sorted(person), ["age", "name"], result["json"])
        self.assertIsInstance(person["name"], str)
        self.assertIsInstance(person["age"], int)
        self.assertEqual(result["jsonStats"]["finishReason"], "endOfGeneration")
        self.assertRegex(result["wrongSha"], r"^sha256 of .*\?copy is [0-9a-f]{64}, expected 0{64}$")
        self.assertEqual([u.endswith("?copy") for u in result["cached"]], [False])
        self.assertFalse(result["verifiedLater"])
        self.assertEqual(len(self.server.model_gets()), gets_before + 2)  # ?copy and ?plain, once each

    def test_5_benchmark_page(self):
        self.driver.get(f"{self.server.base_url}/bench.html?model={self.server.model_url}&p=64&n=32&r=2")
        WebDriverWait(self.driver, 180, poll_frequency=0.5).until(
            lambda d: d.execute_script("return document.body.dataset.result ?? null"))
        result = json.loads(self.driver.execute_script("return document.body.dataset.result"))
        self.assertNotIn("error", result)
        # Chromium's relaxed SIMD is exact (the probe in swiftlet-core.js), so it gets that module.
        self.assertEqual(result["module"], "swiftlet-relaxed.wasm")
        self.assertFalse(result["load"]["downloaded"])
        self.assertGreater(result["prefill"][0]["speed"]["median"], 1)
        self.assertGreater(result["decode"]["median"], 1)
        print(f"\nbrowser benchmark: {self.text('out')}", file=sys.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
