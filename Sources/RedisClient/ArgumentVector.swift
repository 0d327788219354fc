/// hiredis's `argc`/`argv`/`argvlen` for a command's arguments, laid out in one buffer.
enum ArgumentVector {
    /// Calls `body` with the arguments as hiredis takes them; the pointers live only during the call.
    static func with<R>(
        _ arguments: [[UInt8]],
        _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> R
    ) -> R {
        let total = arguments.reduce(0) { $0 + $1.count }
        var storage = [CChar]()
        storage.reserveCapacity(max(total, 1))
        var lengths = [Int]()
        lengths.reserveCapacity(arguments.count)
        for argument in arguments {
            argument.withUnsafeBytes { storage.append(contentsOf: $0.bindMemory(to: CChar.self)) }
            lengths.append(argument.count)
        }
        if storage.isEmpty { storage.append(0) }
        return storage.withUnsafeBufferPointer { buffer in
            let base = buffer.baseAddress!
            var pointers = [UnsafePointer<CChar>?]()
            pointers.reserveCapacity(arguments.count)
            var offset = 0
            for length in lengths {
                pointers.append(base + offset)
                offset += length
            }
            return pointers.withUnsafeMutableBufferPointer { argv in
                lengths.withUnsafeBufferPointer { argvlen in
                    body(Int32(arguments.count), argv.baseAddress!, argvlen.baseAddress!)
                }
            }
        }
    }
}
