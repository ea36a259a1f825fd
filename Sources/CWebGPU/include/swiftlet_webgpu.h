// A small synchronous face over the standard webgpu.h C API, for Swiftlet's GPU executor.
// The library (wgpu-native) is opened at run time with dlopen, so building and running
// the CPU engine never needs it. Every call that can fail returns NULL or 0 and writes a
// message into `error` (at most `errorSize` bytes, NUL-terminated).
#ifndef SWIFTLET_WEBGPU_H
#define SWIFTLET_WEBGPU_H

#include <stddef.h>
#include <stdint.h>

typedef struct SLGPU SLGPU;
typedef void *SLBuffer;
typedef void *SLPipeline;
typedef void *SLBindGroup;

typedef struct SLGPUInfo {
    char adapter[256];
    char backend[32];
    char adapterType[32];
    uint64_t maxStorageBufferBindingSize;
    uint64_t maxBufferSize;
    uint32_t maxStorageBuffersPerShaderStage;
    uint32_t maxComputeWorkgroupsPerDimension;
    uint32_t minUniformBufferOffsetAlignment;
    int shaderF16;
    int subgroups;
} SLGPUInfo;

typedef enum SLBufferKind {
    SLBufferStorage = 0,   // read and written by kernels, written by the host
    SLBufferUniform = 1,   // kernel constants, written by the host
    SLBufferReadback = 2,  // copied into on the device, mapped by the host
} SLBufferKind;

/// Opens the library at `libraryPath`, the most capable adapter and a device with the
/// adapter's storage limits.
SLGPU *slgpu_open(const char *libraryPath, char *error, size_t errorSize);
void slgpu_close(SLGPU *gpu);
void slgpu_info(const SLGPU *gpu, SLGPUInfo *info);
/// Non-zero once the device is lost; `message` says why.
int slgpu_lost(const SLGPU *gpu, char *message, size_t size);

SLBuffer slgpu_buffer(SLGPU *gpu, uint64_t size, SLBufferKind kind, const char *label, char *error, size_t errorSize);
void slgpu_release_buffer(SLGPU *gpu, SLBuffer buffer);
void slgpu_write(SLGPU *gpu, SLBuffer buffer, uint64_t offset, const void *data, uint64_t size);

/// Compiles WGSL with entry point `main`; NULL with the compiler's message on error.
SLPipeline slgpu_pipeline(SLGPU *gpu, const char *wgsl, size_t length, const char *label, char *error, size_t errorSize);
void slgpu_release_pipeline(SLGPU *gpu, SLPipeline pipeline);
/// Binds `buffers[i]` (whole, `sizes[i]` bytes, at offset `offsets[i]`) at binding i.
SLBindGroup slgpu_bind_group(SLGPU *gpu, SLPipeline pipeline, const SLBuffer *buffers, const uint64_t *offsets,
                             const uint64_t *sizes, uint32_t count, char *error, size_t errorSize);
void slgpu_release_bind_group(SLGPU *gpu, SLBindGroup group);

/// Recording: dispatches go into one compute pass of one command buffer until `slgpu_finish`.
void slgpu_dispatch(SLGPU *gpu, SLPipeline pipeline, SLBindGroup group, uint32_t x, uint32_t y, uint32_t z);
/// Submits what was recorded without waiting, so the GPU starts on it while more is recorded.
void slgpu_submit(SLGPU *gpu);
/// Ends the pass, copies `size` bytes of `source` into `readback`, submits, waits, and
/// copies them to `out`. With size 0 it submits and waits only. Returns 0 on failure.
int slgpu_finish(SLGPU *gpu, SLBuffer source, uint64_t offset, SLBuffer readback, uint64_t size, void *out,
                 char *error, size_t errorSize);

#endif
