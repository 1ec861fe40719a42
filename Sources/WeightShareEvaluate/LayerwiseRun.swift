import Dispatch
import Foundation
import WeightShareCompress
import WeightShareContainer
import WeightShareCore
import WeightShareHostKernels
import WeightShareReader
import WeightShareRuntime

/// Which kernels an evaluation runs.
public enum EvaluatorKernels: String, Sendable, Codable, CaseIterable {
    /// The C runtime's kernels for every operator: what the board computes, bit for bit.
    case reference
    /// Conv, Gemm and MatMul as products on the host's BLAS over many samples at once, their weights decoded once
    /// (``LayerwiseRun``); every other operator with the runtime's kernels. Agrees with `reference` to float
    /// rounding (``FastEvaluatorAgreementTests`` bounds it on every fixture).
    case fast
}

/// One container run over every sample operator by operator ("layer-major"): every sample passes an operator
/// before the next one runs. A step between two operators then sees all samples — bias correction measures a
/// layer's channel means and corrects the layer within the same pass (``Calibration``) — and with
/// ``EvaluatorKernels/fast`` a Conv, Gemm or MatMul runs as one BLAS product over many samples.
///
/// The run holds its own copy of the container (bias corrections are written into it) and one arena per sample;
/// it is used by one thread at a time and spreads each step over `workers` threads (run in order on the calling
/// thread inside ``Parallel/serially(_:)``: the same shares, so the same values).
final class LayerwiseRun: @unchecked Sendable {
    let model: WSMModel
    let count: Int
    let workers: Int
    private let arenaBytes: Int
    private let arenaStride: Int
    private let storage: UnsafeMutableRawPointer
    private let arenas: [UnsafeMutableRawPointer]
    /// The same, as the host kernels take them.
    private let arenaPointers: [UnsafeMutableRawPointer?]
    /// Operators run so far: [0, next).
    private(set) var next = 0
    private var decoded: [Int32: [Float]] = [:]
    private var work: [Float] = []
    /// Largest workspace of one batched product, in floats (a product batches as many samples as fit).
    static let workBudget = 8 << 20

    private let pool: ArenaPool?

    /// Loads `bytes` and writes every sample's inputs into its arena (memory from `pool` when given, returned to it
    /// when the run ends: a search's candidates share one model plan, so they reuse one block).
    init(bytes: [UInt8], samples: SampleSet, workers: Int, pool: ArenaPool? = nil) throws {
        model = try WSMModel(bytes: bytes)
        self.pool = pool
        count = samples.count
        self.workers = max(1, min(workers, samples.count))
        guard model.inputs.count == samples.inputSizes.count else {
            throw WSMError.wrongInputCount(expected: model.inputs.count, got: samples.inputSizes.count)
        }
        for (input, size) in zip(model.inputs, samples.inputSizes) where input.elementCount != size {
            throw WSMError.wrongInputSize(input: input.name, expected: input.elementCount, got: size)
        }
        arenaBytes = max(model.arenaBytes, 1)
        arenaStride = (arenaBytes + 63) & ~63
        storage = pool?.take(bytes: arenaStride * max(count, 1))
            ?? UnsafeMutableRawPointer.allocate(byteCount: arenaStride * max(count, 1), alignment: 64)
        let (base, stride, model) = (storage, arenaStride, self.model)
        let arenas = (0..<count).map { base + $0 * stride }
        self.arenas = arenas
        arenaPointers = arenas.map { $0 }
        samples.values.withUnsafeBufferPointer { x in
            for i in 0..<arenas.count {
                var offset = i * samples.sampleSize
                for input in model.inputs {
                    let destination = ws_tensor_data(model.model, Int32(input.index), arenas[i])!
                    destination.update(from: x.baseAddress! + offset, count: input.elementCount)
                    offset += input.elementCount
                }
            }
        }
    }

    deinit {
        if let pool {
            pool.give(storage, bytes: arenaStride * max(count, 1))
            pool.give(floats: work)
            for values in decoded.values { pool.give(floats: values) }
        } else {
            storage.deallocate()
        }
    }

    /// Runs the operators up to (not including) `end`, from where the run stands.
    func run(to end: Int, kernels: EvaluatorKernels) throws {
        let end = min(end, model.operators.count)
        while next < end {
            var plan = ws_host_plan()
            if kernels == .fast, ws_host_plan_operator(model.model, UInt32(next), &plan) != 0 {
                try runBatched(next, plan)
                next += 1
                continue
            }
            // The operators up to the next batched one run sample by sample, the samples spread over the workers.
            var stop = next + 1
            while stop < end, kernels == .reference || ws_host_plan_operator(model.model, UInt32(stop), &plan) == 0 {
                stop += 1
            }
            try runEach(next..<stop)
            next = stop
        }
    }

    /// Runs `operators` on every sample with the runtime's kernels (also again, after a correction of a constant).
    func runEach(_ operators: Range<Int>) throws {
        let failure = FirstError()
        let (arenas, model, bytes) = (SendableArenas(self.arenas), self.model, arenaBytes)
        forEachSample { i in
            let status = ws_invoke_operators(model.model, arenas.pointers[i], bytes, UInt32(operators.lowerBound),
                                             UInt32(operators.count))
            if status != WS_OK {
                failure.record(WSMError.invocationFailed(code: status.rawValue, message: WSMError.message(status)))
            }
        }
        if let error = failure.error { throw error }
    }

    /// One batched operator: with at least as many samples as workers, each worker's contiguous share is one product
    /// (the shares decide the products' shapes, and with them the float rounding); with fewer, one product. Always
    /// on a one-thread BLAS: how OpenBLAS splits a product over its threads changes its rounding, and its thread
    /// count is one setting for the whole process (runs side by side, or a compensation sweep, would change each
    /// other's results).
    private func runBatched(_ o: Int, _ plan: ws_host_plan) throws {
        if plan.weight >= 0, decoded[plan.weight] == nil {
            var values = pool?.take(floats: Int(plan.weight_elements))
                ?? [Float](repeating: 0, count: Int(plan.weight_elements))
            let status = ws_tensor_decode(model.model, plan.weight, &values, plan.weight_elements)
            guard status == WS_OK else {
                throw WSMError.invocationFailed(code: status.rawValue, message: WSMError.message(status))
            }
            decoded[plan.weight] = values
        }
        let groups = count >= workers ? workers : 1
        ws_host_set_threads(1)
        let share = (count + groups - 1) / groups
        let ranges = (0..<groups).map { ($0 * share)..<min(count, ($0 + 1) * share) }.filter { !$0.isEmpty }
        let images = share * Int(plan.images)
        let batch = max(1, min(images, (Self.workBudget - plan.work_fixed) / max(plan.work_per_image, 1)))
        var planCopy = plan
        let needed = max(1, ws_host_workspace(&planCopy, UInt32(batch)))
        if work.count < needed * ranges.count {
            pool?.give(floats: work)
            work = pool?.take(floats: needed * ranges.count) ?? [Float](repeating: 0, count: needed * ranges.count)
        }
        let failure = FirstError()
        let model = self.model
        arenaPointers.withUnsafeBufferPointer { pointers in
            (plan.weight >= 0 ? decoded[plan.weight]! : [0]).withUnsafeBufferPointer { weight in
                work.withUnsafeMutableBufferPointer { work in
                    let (pointers, weight, work) = (SendablePointer(pointers.baseAddress!), SendablePointer(weight.baseAddress!),
                                                    SendablePointer(work.baseAddress!))
                    Parallel.perform(iterations: ranges.count) { g in
                        var plan = plan
                        let status = ws_host_run_operator(model.model, UInt32(o), &plan,
                                                          pointers.pointer + ranges[g].lowerBound,
                                                          UInt32(ranges[g].count), weight.pointer, UInt32(batch),
                                                          work.pointer + g * needed, needed)
                        if status != WS_OK {
                            failure.record(WSMError.invocationFailed(code: status.rawValue, message: WSMError.message(status)))
                        }
                    }
                }
            }
        }
        if let error = failure.error { throw error }
    }

    /// Sample `i`'s values of activation `tensor` (live at this point of the run).
    func values(_ tensor: TensorInfo, sample i: Int) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: ws_tensor_data(model.model, Int32(tensor.index), arenas[i]),
                                   count: tensor.elementCount)
    }

    /// Per-channel sums of `site`'s output (``BiasCorrectionSite/accumulate(_:into:)``) over every sample, each
    /// sample summed on its own and the samples added in order, so the sums do not depend on the workers.
    func channelSums(_ site: BiasCorrectionSite) -> [Double] {
        let channels = site.channels
        let output = model.tensors[site.output]
        let perSample = SendableSums(count: count * channels)
        forEachSample { i in
            var sums = [Double](repeating: 0, count: channels)
            site.accumulate(UnsafeBufferPointer(self.values(output, sample: i)), into: &sums)
            perSample.set(i * channels, sums)
        }
        var totals = [Double](repeating: 0, count: channels)
        for i in 0..<count {
            for c in 0..<channels { totals[c] += perSample.values[i * channels + c] }
        }
        return totals
    }

    /// The input Gram matrices of `layer` (``CompensationLayer/accumulate(_:into:)``) over every sample, read when
    /// the run stands at the layer's operation (its input live). Samples are summed in blocks of 16, in order within a
    /// block, and the blocks in order, so the sums do not depend on the number of workers; at most `workers` blocks
    /// are held at once.
    func grams(_ layer: CompensationLayer) -> [[Double]] {
        let input = model.tensors[layer.input]
        let zero = [[Double]](repeating: [Double](repeating: 0, count: layer.width * layer.width), count: layer.groups)
        let blockSize = 16
        let blocks = (0..<((count + blockSize - 1) / blockSize)).map {
            ($0 * blockSize)..<min(count, ($0 + 1) * blockSize)
        }
        var total = zero
        for wave in stride(from: 0, to: blocks.count, by: workers) {
            let ranges = Array(blocks[wave..<min(blocks.count, wave + workers)])
            let partial = BlockSums(count: ranges.count, zero: zero)
            Parallel.perform(iterations: ranges.count) { b in
                var sums = zero
                for i in ranges[b] { layer.accumulate(UnsafeBufferPointer(self.values(input, sample: i)), into: &sums) }
                partial.set(b, sums)
            }
            for sums in partial.values {
                for g in total.indices {
                    for i in total[g].indices { total[g][i] += sums[g][i] }
                }
            }
        }
        return total
    }

    /// Adds `shift[c]` to channel c of `site`'s output on every sample.
    func shift(_ site: BiasCorrectionSite, by shift: [Float]) {
        let output = model.tensors[site.output]
        forEachSample { i in
            let y = self.values(output, sample: i)
            var e = 0
            while e < y.count {
                for c in 0..<site.channels {
                    for j in e..<(e + site.inner) { y[j] += shift[c] }
                    e += site.inner
                }
            }
        }
    }

    /// Overwrites raw constant `tensor` in this run's copy of the container (a corrected bias; the file's CRC
    /// no longer matches, which only the load checks), in the precision the container stores it: a binary16 bias
    /// takes the corrected values rounded as the compiled file will hold them.
    func overwrite(rawTensor tensor: Int, with values: [Float]) {
        var info = ws_tensor_info()
        guard ws_model_tensor(model.model, Int32(tensor), &info) == WS_OK, values.count == Int(info.elements) else {
            preconditionFailure("tensor \(tensor) is not a raw constant of \(values.count) values")
        }
        if let raw = info.raw {
            UnsafeMutablePointer(mutating: raw).update(from: values, count: values.count)
        } else if let half = info.raw_half {
            UnsafeMutablePointer(mutating: half).update(from: HalfValues.bitPatterns(values), count: values.count)
        } else {
            preconditionFailure("tensor \(tensor) is not a raw constant")
        }
    }

    /// The values of the outputs at `outputs` (positions in the model's outputs), one row per sample.
    func outputs(_ outputs: [Int]) -> [Float] {
        var result: [Float] = []
        result.reserveCapacity(count * outputs.reduce(0) { $0 + model.outputs[$1].elementCount })
        for i in 0..<count {
            for o in outputs { result += values(model.outputs[o], sample: i) }
        }
        return result
    }

    /// `body` for every sample, the samples spread over the workers in contiguous chunks.
    private func forEachSample(_ body: @Sendable (Int) -> Void) {
        let chunk = (count + workers - 1) / workers
        Parallel.perform(iterations: workers) { w in
            for i in (w * chunk)..<min(count, (w + 1) * chunk) { body(i) }
        }
    }
}

/// Arena memory kept between runs: the block of the last run that ended, handed to the next run of the same size
/// or less (fresh memory costs a page fault per page on first touch, for every candidate); likewise the runs' float
/// buffers (decoded weights, product workspace: megabytes per candidate on real models).
final class ArenaPool: @unchecked Sendable {
    private let lock = NSLock()
    private var block: (pointer: UnsafeMutableRawPointer, bytes: Int)?
    private var buffers: [[Float]] = []
    /// Most float buffers kept (a run holds one per weight it decoded, plus its workspace).
    static let keptBuffers = 256

    /// A buffer of `count` floats (its values unspecified: the caller writes before it reads), from a kept one
    /// when one is large enough.
    func take(floats count: Int) -> [Float] {
        var buffer: [Float] = lock.withLock {
            guard let i = buffers.indices.filter({ buffers[$0].capacity >= count })
                .min(by: { buffers[$0].capacity < buffers[$1].capacity }) else { return [] }
            return buffers.remove(at: i)
        }
        if buffer.count > count {
            buffer.removeLast(buffer.count - count)
        } else if buffer.count < count {
            buffer.append(contentsOf: repeatElement(0, count: count - buffer.count))
        }
        return buffer
    }

    /// Keeps `buffer` for a later ``take(floats:)``.
    func give(floats buffer: [Float]) {
        guard buffer.capacity > 0 else { return }
        lock.withLock { if buffers.count < Self.keptBuffers { buffers.append(buffer) } }
    }

    init() {}

    deinit { block?.pointer.deallocate() }

    /// A block of at least `bytes` (64-byte aligned), nil when none is kept.
    func take(bytes: Int) -> UnsafeMutableRawPointer? {
        lock.withLock {
            guard let kept = block, kept.bytes >= bytes else { return nil }
            block = nil
            return kept.pointer
        }
    }

    /// Keeps `pointer` (of `bytes`) for the next run, freeing the block kept before unless it is larger.
    func give(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
        let freed: UnsafeMutableRawPointer? = lock.withLock {
            if let kept = block, kept.bytes >= bytes { return pointer }
            let old = block?.pointer
            block = (pointer, bytes)
            return old
        }
        freed?.deallocate()
    }
}

/// A pointer handed to the workers, each using its own part.
private struct SendablePointer<T>: @unchecked Sendable {
    let pointer: T
    init(_ pointer: T) { self.pointer = pointer }
}

/// The arenas, shared by the workers, each touching only its own samples'.
private struct SendableArenas: @unchecked Sendable {
    let pointers: [UnsafeMutableRawPointer]
    init(_ pointers: [UnsafeMutableRawPointer]) { self.pointers = pointers }
}

/// Per-sample sums written by the workers, each into its own samples' slots.
private final class SendableSums: @unchecked Sendable {
    let values: UnsafeMutableBufferPointer<Double>
    init(count: Int) { values = .allocate(capacity: count) }
    deinit { values.deallocate() }
    func set(_ start: Int, _ sums: [Double]) {
        for (j, s) in sums.enumerated() { values[start + j] = s }
    }
}

/// Per-block sums written by the workers, each block by one worker.
final class BlockSums: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [[[Double]]]
    init(count: Int, zero: [[Double]]) { values = [[[Double]]](repeating: zero, count: count) }
    func set(_ block: Int, _ sums: [[Double]]) { lock.withLock { values[block] = sums } }
}
