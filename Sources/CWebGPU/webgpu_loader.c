// The synchronous face of swiftlet_webgpu.h over webgpu.h, every function found with
// dlsym so that nothing links against wgpu-native. Callbacks fire from
// wgpuInstanceProcessEvents / wgpuDevicePoll, which the waits below drive.
#define WGPU_SKIP_DECLARATIONS
#include "../vendor/webgpu.h"
#include "../vendor/wgpu.h"
#include "swiftlet_webgpu.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

// wgpu.h declares wgpuDevicePoll without a proc type.
typedef WGPUBool (*SLProcDevicePoll)(WGPUDevice, WGPUBool, WGPUSubmissionIndex const *);

#define SL_PROCS(X) \
    X(CreateInstance) X(InstanceRequestAdapter) X(InstanceProcessEvents) X(InstanceRelease) \
    X(AdapterRequestDevice) X(AdapterGetInfo) X(AdapterInfoFreeMembers) X(AdapterGetLimits) \
    X(AdapterHasFeature) X(AdapterRelease) X(DeviceGetQueue) X(DeviceCreateBuffer) \
    X(DeviceCreateShaderModule) X(DeviceCreateComputePipeline) X(DeviceCreateBindGroup) \
    X(DeviceCreateCommandEncoder) X(DevicePushErrorScope) X(DevicePopErrorScope) X(DeviceRelease) \
    X(QueueWriteBuffer) X(QueueSubmit) X(QueueRelease) X(BufferMapAsync) X(BufferGetConstMappedRange) \
    X(BufferUnmap) X(BufferRelease) X(ShaderModuleRelease) X(ComputePipelineGetBindGroupLayout) \
    X(ComputePipelineRelease) X(BindGroupLayoutRelease) X(BindGroupRelease) \
    X(CommandEncoderBeginComputePass) X(CommandEncoderCopyBufferToBuffer) X(CommandEncoderFinish) \
    X(CommandEncoderRelease) X(CommandBufferRelease) X(ComputePassEncoderSetPipeline) \
    X(ComputePassEncoderSetBindGroup) X(ComputePassEncoderDispatchWorkgroups) X(ComputePassEncoderEnd) \
    X(ComputePassEncoderRelease)

struct SLGPU {
    void *library;
#define SL_FIELD(name) WGPUProc##name name;
    SL_PROCS(SL_FIELD)
#undef SL_FIELD
    SLProcDevicePoll DevicePoll;
    WGPUInstance instance;
    WGPUAdapter adapter;
    WGPUDevice device;
    WGPUQueue queue;
    WGPUCommandEncoder encoder;
    WGPUComputePassEncoder pass;
    SLGPUInfo info;
    int lost;
    char lostMessage[512];
};

static void say(char *error, size_t size, const char *format, ...) {
    if (!error || size == 0) return;
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(error, size, format, arguments);
    va_end(arguments);
}

static void copyView(char *out, size_t size, WGPUStringView view) {
    size_t length = view.data ? (view.length == WGPU_STRLEN ? strlen(view.data) : view.length) : 0;
    if (length >= size) length = size - 1;
    if (length) memcpy(out, view.data, length);
    out[length] = 0;
}

static WGPUStringView view(const char *text) { return (WGPUStringView){text, text ? WGPU_STRLEN : 0}; }

/// Drives callbacks until `*done` or about `seconds` have passed.
static int waitFor(SLGPU *gpu, volatile int *done, double seconds) {
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (!*done) {
        if (gpu->device && gpu->DevicePoll) gpu->DevicePoll(gpu->device, 0, NULL);
        gpu->InstanceProcessEvents(gpu->instance);
        if (*done) break;
        if (gpu->lost) return 0;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((double)(now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) * 1e-9 > seconds) return 0;
        struct timespec pause = {0, 50000};
        nanosleep(&pause, NULL);
    }
    return 1;
}

// MARK: Opening

typedef struct { volatile int done; int ok; void *handle; char message[512]; } SLRequest;

static void adapterReady(WGPURequestAdapterStatus status, WGPUAdapter adapter, WGPUStringView message, void *request, void *unused) {
    (void)unused;
    SLRequest *r = request;
    r->ok = status == WGPURequestAdapterStatus_Success && adapter;
    r->handle = adapter;
    copyView(r->message, sizeof r->message, message);
    r->done = 1;
}

static void deviceReady(WGPURequestDeviceStatus status, WGPUDevice device, WGPUStringView message, void *request, void *unused) {
    (void)unused;
    SLRequest *r = request;
    r->ok = status == WGPURequestDeviceStatus_Success && device;
    r->handle = device;
    copyView(r->message, sizeof r->message, message);
    r->done = 1;
}

static void deviceLost(WGPUDevice const *device, WGPUDeviceLostReason reason, WGPUStringView message, void *context, void *unused) {
    (void)device; (void)unused;
    SLGPU *gpu = context;
    if (reason == WGPUDeviceLostReason_Destroyed || reason == WGPUDeviceLostReason_CallbackCancelled) return;
    copyView(gpu->lostMessage, sizeof gpu->lostMessage, message);
    gpu->lost = 1;
}

static void uncapturedError(WGPUDevice const *device, WGPUErrorType type, WGPUStringView message, void *context, void *unused) {
    (void)device; (void)type; (void)unused;
    // Errors outside a scope (a bad dispatch) are a bug in the executor: keep the message
    // so that the next wait reports it instead of returning garbage.
    SLGPU *gpu = context;
    copyView(gpu->lostMessage, sizeof gpu->lostMessage, message);
    gpu->lost = 1;
}

static const char *backendName(WGPUBackendType type) {
    switch (type) {
    case WGPUBackendType_Vulkan: return "Vulkan";
    case WGPUBackendType_Metal: return "Metal";
    case WGPUBackendType_D3D12: return "D3D12";
    case WGPUBackendType_OpenGL: return "OpenGL";
    default: return "other";
    }
}

static const char *adapterTypeName(WGPUAdapterType type) {
    switch (type) {
    case WGPUAdapterType_DiscreteGPU: return "discrete GPU";
    case WGPUAdapterType_IntegratedGPU: return "integrated GPU";
    case WGPUAdapterType_CPU: return "CPU";
    default: return "unknown";
    }
}

SLGPU *slgpu_open(const char *libraryPath, char *error, size_t errorSize) {
    void *library = dlopen(libraryPath, RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        say(error, errorSize, "cannot open the WebGPU library %s: %s", libraryPath, dlerror());
        return NULL;
    }
    SLGPU *gpu = calloc(1, sizeof *gpu);
    gpu->library = library;
#define SL_LOAD(name) \
    gpu->name = (WGPUProc##name)dlsym(library, "wgpu" #name); \
    if (!gpu->name) { say(error, errorSize, "%s has no wgpu" #name ": not a webgpu.h library", libraryPath); slgpu_close(gpu); return NULL; }
    SL_PROCS(SL_LOAD)
#undef SL_LOAD
    gpu->DevicePoll = (SLProcDevicePoll)dlsym(library, "wgpuDevicePoll");

    gpu->instance = gpu->CreateInstance(NULL);
    if (!gpu->instance) { say(error, errorSize, "wgpuCreateInstance failed"); slgpu_close(gpu); return NULL; }

    WGPURequestAdapterOptions options = WGPU_REQUEST_ADAPTER_OPTIONS_INIT;
    options.powerPreference = WGPUPowerPreference_HighPerformance;
    SLRequest request = {0};
    WGPURequestAdapterCallbackInfo adapterCallback = {NULL, WGPUCallbackMode_AllowProcessEvents, adapterReady, &request, NULL};
    gpu->InstanceRequestAdapter(gpu->instance, &options, adapterCallback);
    if (!waitFor(gpu, &request.done, 30) || !request.ok) {
        say(error, errorSize, "no WebGPU adapter%s%s", request.message[0] ? ": " : "", request.message);
        slgpu_close(gpu);
        return NULL;
    }
    gpu->adapter = request.handle;

    WGPUAdapterInfo info = WGPU_ADAPTER_INFO_INIT;
    gpu->AdapterGetInfo(gpu->adapter, &info);
    copyView(gpu->info.adapter, sizeof gpu->info.adapter, info.device);
    snprintf(gpu->info.backend, sizeof gpu->info.backend, "%s", backendName(info.backendType));
    snprintf(gpu->info.adapterType, sizeof gpu->info.adapterType, "%s", adapterTypeName(info.adapterType));
    gpu->AdapterInfoFreeMembers(info);

    // The device gets the adapter's own limits: the defaults (128 MiB bindings) would split
    // tensors a big GPU can bind whole.
    WGPULimits limits = WGPU_LIMITS_INIT;
    gpu->AdapterGetLimits(gpu->adapter, &limits);
    gpu->info.maxStorageBufferBindingSize = limits.maxStorageBufferBindingSize;
    gpu->info.maxBufferSize = limits.maxBufferSize;
    gpu->info.maxStorageBuffersPerShaderStage = limits.maxStorageBuffersPerShaderStage;
    gpu->info.maxComputeWorkgroupsPerDimension = limits.maxComputeWorkgroupsPerDimension;
    gpu->info.minUniformBufferOffsetAlignment = limits.minUniformBufferOffsetAlignment;
    gpu->info.shaderF16 = gpu->AdapterHasFeature(gpu->adapter, WGPUFeatureName_ShaderF16) ? 1 : 0;
    gpu->info.subgroups = gpu->AdapterHasFeature(gpu->adapter, WGPUFeatureName_Subgroups)
        || gpu->AdapterHasFeature(gpu->adapter, (WGPUFeatureName)WGPUNativeFeature_Subgroup);

    WGPUDeviceDescriptor descriptor = WGPU_DEVICE_DESCRIPTOR_INIT;
    descriptor.label = view("swiftlet");
    descriptor.requiredLimits = &limits;
    descriptor.deviceLostCallbackInfo = (WGPUDeviceLostCallbackInfo){NULL, WGPUCallbackMode_AllowSpontaneous, deviceLost, gpu, NULL};
    descriptor.uncapturedErrorCallbackInfo = (WGPUUncapturedErrorCallbackInfo){NULL, uncapturedError, gpu, NULL};
    SLRequest deviceRequest = {0};
    WGPURequestDeviceCallbackInfo deviceCallback = {NULL, WGPUCallbackMode_AllowProcessEvents, deviceReady, &deviceRequest, NULL};
    gpu->AdapterRequestDevice(gpu->adapter, &descriptor, deviceCallback);
    if (!waitFor(gpu, &deviceRequest.done, 30) || !deviceRequest.ok) {
        say(error, errorSize, "the adapter %s gave no device%s%s", gpu->info.adapter, deviceRequest.message[0] ? ": " : "", deviceRequest.message);
        slgpu_close(gpu);
        return NULL;
    }
    gpu->device = deviceRequest.handle;
    gpu->queue = gpu->DeviceGetQueue(gpu->device);
    return gpu;
}

void slgpu_close(SLGPU *gpu) {
    if (!gpu) return;
    if (gpu->pass) gpu->ComputePassEncoderRelease(gpu->pass);
    if (gpu->encoder) gpu->CommandEncoderRelease(gpu->encoder);
    if (gpu->queue) gpu->QueueRelease(gpu->queue);
    if (gpu->device) gpu->DeviceRelease(gpu->device);
    if (gpu->adapter) gpu->AdapterRelease(gpu->adapter);
    if (gpu->instance) gpu->InstanceRelease(gpu->instance);
    // The library stays loaded: wgpu-native keeps threads and handlers that outlive a device.
    free(gpu);
}

void slgpu_info(const SLGPU *gpu, SLGPUInfo *info) { *info = gpu->info; }

int slgpu_lost(const SLGPU *gpu, char *message, size_t size) {
    if (gpu->lost && message && size) snprintf(message, size, "%s", gpu->lostMessage);
    return gpu->lost;
}

// MARK: Error scopes

typedef struct { volatile int done; int failed; char message[1024]; } SLScope;

static void scopePopped(WGPUPopErrorScopeStatus status, WGPUErrorType type, WGPUStringView message, void *scope, void *unused) {
    (void)unused;
    SLScope *s = scope;
    if (status == WGPUPopErrorScopeStatus_Success && type != WGPUErrorType_NoError && !s->failed) {
        s->failed = 1;
        copyView(s->message, sizeof s->message, message);
    }
    s->done++;
}

static void scopeBegin(SLGPU *gpu) {
    gpu->DevicePushErrorScope(gpu->device, WGPUErrorFilter_OutOfMemory);
    gpu->DevicePushErrorScope(gpu->device, WGPUErrorFilter_Validation);
}

/// Pops the two scopes of `scopeBegin`; 0 with the error's message when one was caught.
static int scopeEnd(SLGPU *gpu, const char *what, char *error, size_t errorSize) {
    SLScope scope = {0};
    WGPUPopErrorScopeCallbackInfo callback = {NULL, WGPUCallbackMode_AllowProcessEvents, scopePopped, &scope, NULL};
    gpu->DevicePopErrorScope(gpu->device, callback);
    gpu->DevicePopErrorScope(gpu->device, callback);
    for (int polls = 0; scope.done < 2 && !gpu->lost && polls < 200000; polls++) {
        if (gpu->DevicePoll) gpu->DevicePoll(gpu->device, 0, NULL);
        gpu->InstanceProcessEvents(gpu->instance);
    }
    if (scope.failed) { say(error, errorSize, "%s: %s", what, scope.message); return 0; }
    if (gpu->lost) { say(error, errorSize, "%s: the GPU device was lost: %s", what, gpu->lostMessage); return 0; }
    return 1;
}

// MARK: Buffers

SLBuffer slgpu_buffer(SLGPU *gpu, uint64_t size, SLBufferKind kind, const char *label, char *error, size_t errorSize) {
    WGPUBufferDescriptor descriptor = WGPU_BUFFER_DESCRIPTOR_INIT;
    descriptor.label = view(label);
    descriptor.size = (size + 3) / 4 * 4;
    switch (kind) {
    case SLBufferStorage: descriptor.usage = WGPUBufferUsage_Storage | WGPUBufferUsage_CopyDst | WGPUBufferUsage_CopySrc; break;
    case SLBufferUniform: descriptor.usage = WGPUBufferUsage_Uniform | WGPUBufferUsage_CopyDst; break;
    case SLBufferReadback: descriptor.usage = WGPUBufferUsage_MapRead | WGPUBufferUsage_CopyDst; break;
    }
    scopeBegin(gpu);
    WGPUBuffer buffer = gpu->DeviceCreateBuffer(gpu->device, &descriptor);
    char what[300];
    snprintf(what, sizeof what, "creating the %llu-byte GPU buffer %s", (unsigned long long)descriptor.size, label ? label : "");
    if (!scopeEnd(gpu, what, error, errorSize) || !buffer) {
        if (buffer) gpu->BufferRelease(buffer);
        if (!buffer) say(error, errorSize, "%s failed", what);
        return NULL;
    }
    return buffer;
}

void slgpu_release_buffer(SLGPU *gpu, SLBuffer buffer) { if (buffer) gpu->BufferRelease(buffer); }

void slgpu_write(SLGPU *gpu, SLBuffer buffer, uint64_t offset, const void *data, uint64_t size) {
    gpu->QueueWriteBuffer(gpu->queue, buffer, offset, data, (size_t)size);
}

// MARK: Pipelines

SLPipeline slgpu_pipeline(SLGPU *gpu, const char *wgsl, size_t length, const char *label, char *error, size_t errorSize) {
    WGPUShaderSourceWGSL source = WGPU_SHADER_SOURCE_WGSL_INIT;
    source.code = (WGPUStringView){wgsl, length};
    WGPUShaderModuleDescriptor moduleDescriptor = {&source.chain, view(label)};
    scopeBegin(gpu);
    WGPUShaderModule module = gpu->DeviceCreateShaderModule(gpu->device, &moduleDescriptor);
    WGPUComputePipelineDescriptor descriptor = WGPU_COMPUTE_PIPELINE_DESCRIPTOR_INIT;
    descriptor.label = view(label);
    descriptor.compute.module = module;
    descriptor.compute.entryPoint = view("main");
    WGPUComputePipeline pipeline = module ? gpu->DeviceCreateComputePipeline(gpu->device, &descriptor) : NULL;
    if (module) gpu->ShaderModuleRelease(module);
    char what[300];
    snprintf(what, sizeof what, "compiling the WGSL kernel %s", label ? label : "");
    if (!scopeEnd(gpu, what, error, errorSize) || !pipeline) {
        if (pipeline) gpu->ComputePipelineRelease(pipeline);
        if (!pipeline) say(error, errorSize, "%s failed", what);
        return NULL;
    }
    return pipeline;
}

void slgpu_release_pipeline(SLGPU *gpu, SLPipeline pipeline) { if (pipeline) gpu->ComputePipelineRelease(pipeline); }

SLBindGroup slgpu_bind_group(SLGPU *gpu, SLPipeline pipeline, const SLBuffer *buffers, const uint64_t *offsets,
                             const uint64_t *sizes, uint32_t count, char *error, size_t errorSize) {
    WGPUBindGroupEntry entries[16];
    if (count > 16) { say(error, errorSize, "%u bindings: at most 16", count); return NULL; }
    for (uint32_t i = 0; i < count; i++) {
        entries[i] = (WGPUBindGroupEntry)WGPU_BIND_GROUP_ENTRY_INIT;
        entries[i].binding = i;
        entries[i].buffer = buffers[i];
        entries[i].offset = offsets[i];
        entries[i].size = (sizes[i] + 3) / 4 * 4;
    }
    scopeBegin(gpu);
    WGPUBindGroupLayout layout = gpu->ComputePipelineGetBindGroupLayout(pipeline, 0);
    WGPUBindGroupDescriptor descriptor = {NULL, view(NULL), layout, count, entries};
    WGPUBindGroup group = gpu->DeviceCreateBindGroup(gpu->device, &descriptor);
    gpu->BindGroupLayoutRelease(layout);
    if (!scopeEnd(gpu, "binding buffers", error, errorSize) || !group) {
        if (group) gpu->BindGroupRelease(group);
        if (!group) say(error, errorSize, "binding buffers failed");
        return NULL;
    }
    return group;
}

void slgpu_release_bind_group(SLGPU *gpu, SLBindGroup group) { if (group) gpu->BindGroupRelease(group); }

// MARK: Recording and submitting

void slgpu_dispatch(SLGPU *gpu, SLPipeline pipeline, SLBindGroup group, uint32_t x, uint32_t y, uint32_t z) {
    if (!gpu->encoder) gpu->encoder = gpu->DeviceCreateCommandEncoder(gpu->device, NULL);
    if (!gpu->pass) gpu->pass = gpu->CommandEncoderBeginComputePass(gpu->encoder, NULL);
    gpu->ComputePassEncoderSetPipeline(gpu->pass, pipeline);
    gpu->ComputePassEncoderSetBindGroup(gpu->pass, 0, group, 0, NULL);
    gpu->ComputePassEncoderDispatchWorkgroups(gpu->pass, x, y, z);
}

static void end_pass(SLGPU *gpu) {
    if (!gpu->pass) return;
    gpu->ComputePassEncoderEnd(gpu->pass);
    gpu->ComputePassEncoderRelease(gpu->pass);
    gpu->pass = NULL;
}

void slgpu_submit(SLGPU *gpu) {
    if (!gpu->encoder) return;
    end_pass(gpu);
    WGPUCommandBuffer commands = gpu->CommandEncoderFinish(gpu->encoder, NULL);
    gpu->CommandEncoderRelease(gpu->encoder);
    gpu->encoder = NULL;
    gpu->QueueSubmit(gpu->queue, 1, &commands);
    gpu->CommandBufferRelease(commands);
}

typedef struct { volatile int done; int ok; } SLMap;

static void mapped(WGPUMapAsyncStatus status, WGPUStringView message, void *map, void *unused) {
    (void)message; (void)unused;
    SLMap *m = map;
    m->ok = status == WGPUMapAsyncStatus_Success;
    m->done = 1;
}

int slgpu_finish(SLGPU *gpu, SLBuffer source, uint64_t offset, SLBuffer readback, uint64_t size, void *out,
                 char *error, size_t errorSize) {
    if (!gpu->encoder) gpu->encoder = gpu->DeviceCreateCommandEncoder(gpu->device, NULL);
    end_pass(gpu);
    if (size) gpu->CommandEncoderCopyBufferToBuffer(gpu->encoder, source, offset, readback, 0, (size + 3) / 4 * 4);
    slgpu_submit(gpu);
    if (gpu->lost) { say(error, errorSize, "the GPU device was lost: %s", gpu->lostMessage); return 0; }
    if (!size) {
        if (gpu->DevicePoll) gpu->DevicePoll(gpu->device, 1, NULL);
        return !gpu->lost;
    }
    SLMap map = {0};
    WGPUBufferMapCallbackInfo callback = {NULL, WGPUCallbackMode_AllowProcessEvents, mapped, &map, NULL};
    size_t rounded = (size_t)((size + 3) / 4 * 4);
    gpu->BufferMapAsync(readback, WGPUMapMode_Read, 0, rounded, callback);
    if (gpu->DevicePoll) gpu->DevicePoll(gpu->device, 1, NULL);
    // A pass that never finishes is a lost device: give up after a minute, not never.
    if (!waitFor(gpu, &map.done, 60) || !map.ok) {
        if (gpu->lost) say(error, errorSize, "the GPU device was lost: %s", gpu->lostMessage);
        else say(error, errorSize, "reading the result back from the GPU failed");
        return 0;
    }
    const void *data = gpu->BufferGetConstMappedRange(readback, 0, rounded);
    if (data) memcpy(out, data, (size_t)size);
    gpu->BufferUnmap(readback);
    return data != NULL;
}
