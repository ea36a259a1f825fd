// Models in the Origin Private File System, downloaded so that a cut connection or a closed
// tab never leaves something that looks like a model. For a model URL the cache keeps:
//   <key>.partial       bytes received so far (resumed with an HTTP Range request)
//   <key>.partial.json  {url, etag, total}: what the partial bytes belong to
//   <key>               the verified model, renamed from .partial only after its size
//                       (and sha256, when given) matched
//   <key>.json          {url, size, sha256, completedAt}, written last: the completion mark
// A model counts as cached only when both <key> and <key>.json exist and agree on size.
// Works in windows and workers (no synchronous access handles here).

import { Sha256 } from './sha256.js';

const directoryName = 'swiftlet-models';
const maxAttempts = 5;

export class ModelCacheError extends Error {
  constructor(kind, message) {
    super(message);
    this.name = 'ModelCacheError';
    this.kind = kind; // 'quota' | 'http' | 'size' | 'sha256' | 'aborted'
  }
}

export async function modelsDirectory() {
  const root = await navigator.storage.getDirectory();
  return root.getDirectoryHandle(directoryName, { create: true });
}

/** The cache name for a URL: its file name plus a hash of the whole URL. */
export function cacheKey(url) {
  const absolute = new URL(url, globalThis.location?.href).href;
  let hash = 0x811c9dc5; // FNV-1a, 32 bits
  for (let i = 0; i < absolute.length; i++) hash = Math.imul(hash ^ absolute.charCodeAt(i), 0x01000193) >>> 0;
  const base = absolute.split(/[?#]/)[0].split('/').pop().replace(/[^A-Za-z0-9._-]/g, '_').slice(-80) || 'model';
  return `${base}-${hash.toString(16).padStart(8, '0')}`;
}

async function readJSON(directory, name) {
  try {
    const file = await (await directory.getFileHandle(name)).getFile();
    return JSON.parse(await file.text());
  } catch {
    return null;
  }
}

async function writeJSON(directory, name, value) {
  const writable = await (await directory.getFileHandle(name, { create: true })).createWritable();
  await writable.write(JSON.stringify(value));
  await writable.close();
}

async function removeIfPresent(directory, name) {
  try {
    await directory.removeEntry(name);
  } catch (error) {
    if (error.name !== 'NotFoundError') throw error;
  }
}

/** The cached model's file handle and record, or null when it is not (completely) cached. */
export async function cachedModel(url) {
  const directory = await modelsDirectory();
  const key = cacheKey(url);
  const record = await readJSON(directory, `${key}.json`);
  if (!record) return null;
  try {
    const handle = await directory.getFileHandle(key);
    if ((await handle.getFile()).size !== record.size) return null;
    return { handle, record };
  } catch {
    return null;
  }
}

/**
 * The model at `url` in OPFS, downloading (or resuming) it first when needed.
 * `onProgress({phase, loaded, total})`: phase is 'download' or 'verify' ('retry', with
 * `attempt`, when a dropped connection is resumed).
 * Returns `{handle, record, downloaded}`.
 */
export async function ensureModel(url, { sha256, onProgress = () => {}, signal } = {}) {
  const wanted = sha256?.toLowerCase();
  const directory = await modelsDirectory();
  const key = cacheKey(url);
  const cached = await cachedModel(url);
  if (cached && (!wanted || cached.record.sha256 === wanted)) return { ...cached, downloaded: false };
  if (cached && !cached.record.sha256) {
    // Cached without a checksum: check the file rather than download it again.
    const file = await cached.handle.getFile();
    const digest = await hashFile(file, (loaded) => onProgress({ phase: 'verify', loaded, total: file.size }), signal);
    if (digest === wanted) {
      const record = { ...cached.record, sha256: digest };
      await writeJSON(directory, `${key}.json`, record);
      return { handle: cached.handle, record, downloaded: false };
    }
  }

  await removeIfPresent(directory, `${key}.json`); // a stale or mismatched entry is no entry
  const partialHandle = await directory.getFileHandle(`${key}.partial`, { create: true });
  for (let attempt = 1; ; attempt++) {
    try {
      await download(url, directory, key, partialHandle, onProgress, signal);
      break;
    } catch (error) {
      // A dropped connection (a TypeError from fetch or the body stream) resumes from the
      // bytes kept; HTTP, quota and size errors would only repeat.
      if (!(error instanceof TypeError) || signal?.aborted || attempt === maxAttempts) throw error;
      onProgress({ phase: 'retry', attempt: attempt + 1, error: error.message });
    }
  }

  const file = await partialHandle.getFile();
  let digest = null;
  if (wanted) {
    digest = await hashFile(file, (loaded) => onProgress({ phase: 'verify', loaded, total: file.size }), signal);
    if (digest !== wanted) {
      await removeIfPresent(directory, `${key}.partial`);
      await removeIfPresent(directory, `${key}.partial.json`);
      throw new ModelCacheError('sha256', `sha256 of ${url} is ${digest}, expected ${sha256}`);
    }
  }
  await removeIfPresent(directory, key);
  await partialHandle.move(key);
  const record = { url: new URL(url, globalThis.location?.href).href, size: file.size, sha256: digest, completedAt: new Date().toISOString() };
  await writeJSON(directory, `${key}.json`, record);
  await removeIfPresent(directory, `${key}.partial.json`);
  return { handle: await directory.getFileHandle(key), record, downloaded: true };
}

/** Appends the rest of `url` to the partial file, resuming from its size when the server allows. */
async function download(url, directory, key, partialHandle, onProgress, signal) {
  const previous = await readJSON(directory, `${key}.partial.json`);
  let start = (await partialHandle.getFile()).size;
  if (start > 0 && previous?.url !== url) start = 0;
  const headers = {};
  if (start > 0) {
    headers.Range = `bytes=${start}-`;
    if (previous.etag) headers['If-Range'] = previous.etag;
  }
  const response = await fetch(url, { headers, signal, cache: 'no-store' });
  if (response.status === 416 && previous?.total === start) return; // all there already
  if (response.status === 200) {
    start = 0; // the server sent the whole file (no ranges, or it changed)
  } else if (response.status !== 206) {
    throw new ModelCacheError('http', `downloading ${url}: HTTP ${response.status}`);
  }
  const rangeTotal = response.headers.get('Content-Range')?.match(/\/(\d+)$/)?.[1];
  const length = Number(response.headers.get('Content-Length') ?? NaN);
  const total = rangeTotal ? Number(rangeTotal) : start + length;
  await checkQuota(Number.isFinite(total) ? total - start : 0);
  await writeJSON(directory, `${key}.partial.json`, { url, etag: response.headers.get('ETag'), total });

  const writable = await partialHandle.createWritable({ keepExistingData: start > 0 });
  if (start > 0) await writable.seek(start);
  else await writable.truncate(0);
  let loaded = start;
  onProgress({ phase: 'download', loaded, total });
  const counter = new TransformStream({
    transform(chunk, controller) {
      loaded += chunk.length;
      onProgress({ phase: 'download', loaded, total });
      controller.enqueue(chunk);
    },
  });
  try {
    await response.body.pipeThrough(counter).pipeTo(writable, { signal, preventAbort: true });
  } catch (error) {
    // An aborted writable would discard this attempt's bytes; closing commits them, so
    // the next attempt resumes from here.
    await writable.close().catch(() => {});
    throw signal?.aborted ? new ModelCacheError('aborted', 'download aborted') : error;
  }
  if (Number.isFinite(total) && loaded !== total) {
    throw new ModelCacheError('size', `downloaded ${loaded} bytes of ${url}, expected ${total}`);
  }
}

async function checkQuota(needed) {
  if (!navigator.storage?.estimate || needed <= 0) return;
  const { quota = Infinity, usage = 0 } = await navigator.storage.estimate();
  if (quota - usage < needed) {
    throw new ModelCacheError('quota',
      `the model needs ${needed} bytes but the browser grants this site only ${quota - usage} more`);
  }
}

async function hashFile(file, onProgress, signal) {
  const hash = new Sha256();
  const chunk = 16 << 20;
  for (let offset = 0; offset < file.size; offset += chunk) {
    signal?.throwIfAborted();
    hash.update(new Uint8Array(await file.slice(offset, offset + chunk).arrayBuffer()));
    onProgress(Math.min(offset + chunk, file.size));
  }
  return hash.hex();
}

/** Every completely cached model: `[{key, url, size, sha256, completedAt}]`. */
export async function listModels() {
  const directory = await modelsDirectory();
  const models = [];
  for await (const [name] of directory.entries()) {
    if (!name.endsWith('.json') || name.endsWith('.partial.json')) continue;
    const key = name.slice(0, -5);
    const cached = await cachedModel((await readJSON(directory, name))?.url ?? '');
    if (cached && cacheKey(cached.record.url) === key) models.push({ key, ...cached.record });
  }
  return models;
}

/** Removes a model (complete or partial) from the cache. */
export async function deleteModel(url) {
  const directory = await modelsDirectory();
  const key = cacheKey(url);
  for (const name of [`${key}.json`, key, `${key}.partial`, `${key}.partial.json`]) await removeIfPresent(directory, name);
}

/** Bytes stored by this origin and what the browser allows it. */
export async function storageUsage() {
  const { usage = 0, quota = 0 } = (await navigator.storage.estimate?.()) ?? {};
  return { usage, quota };
}
