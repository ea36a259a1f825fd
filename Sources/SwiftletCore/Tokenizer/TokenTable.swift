/// Token text → id, for a vocabulary whose texts are byte ranges of the model file.
/// Open addressing over FNV-1a hashes: nothing is copied out of the file, and lookups take a
/// byte slice, which is what tokenizers hold while they merge symbols.
struct TokenTable {
    /// Where each token's text lives in `bytes` (the file), by id.
    private let texts: [Range<Int>]
    private let bytes: UnsafeRawBufferPointer
    private let owner: ModelBytes?
    /// Token id + 1 per slot, 0 when empty; the table is at most half full.
    private var slots: [Int32]
    private let mask: Int

    init(texts: [Range<Int>], in file: GGUFFile) {
        self.texts = texts
        self.bytes = file.bytes
        self.owner = file.owner
        var capacity = 16
        while capacity < texts.count * 2 { capacity *= 2 }
        slots = [Int32](repeating: 0, count: capacity)
        mask = capacity - 1
        // Later duplicates never shadow earlier ids, as in llama.cpp's token_to_id map.
        for id in texts.indices where lookup(UnsafeRawBufferPointer(rebasing: file.bytes[texts[id]])) == nil {
            var slot = Int(truncatingIfNeeded: Self.hash(UnsafeRawBufferPointer(rebasing: file.bytes[texts[id]]))) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(id + 1)
        }
    }

    func lookup(_ text: UnsafeRawBufferPointer) -> Int32? {
        var slot = Int(truncatingIfNeeded: Self.hash(text)) & mask
        while slots[slot] != 0 {
            let id = Int(slots[slot] - 1)
            if UnsafeRawBufferPointer(rebasing: bytes[texts[id]]).elementsEqual(text) { return Int32(id) }
            slot = (slot + 1) & mask
        }
        return nil
    }

    func lookup(_ text: [UInt8]) -> Int32? {
        text.withUnsafeBytes { lookup($0) }
    }

    func text(_ id: Int32) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[texts[Int(id)]])
    }

    private static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let hash = bytes.fnv1a
        return hash ^ (hash >> 29)  // the table is indexed by the low bits: mix the high ones in
    }
}
