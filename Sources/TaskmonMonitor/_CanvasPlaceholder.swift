// LOCAL ONLY — replaced by monitor-text's Canvas at merge. Not committed.
public struct Canvas: Equatable {
    public struct Run { public var column: Int; public var style: Style; public var scalars: [UInt32] }
    public private(set) var width: Int
    public private(set) var height: Int
    var cells: [[Character]]
    var styles: [[Style]]
    public init(width: Int, height: Int) {
        self.width = max(0, width); self.height = max(0, height)
        cells = Array(repeating: Array(repeating: " ", count: self.width), count: self.height)
        styles = Array(repeating: Array(repeating: .plain, count: self.width), count: self.height)
    }
    public func runs(inRow y: Int) -> [Run] {
        (0..<width).map { Run(column: $0, style: styles[y][$0], scalars: cells[y][$0].unicodeScalars.map(\.value)) }
    }
    public mutating func fill(row y: Int, from x: Int = 0, width w: Int? = nil, style: Style) {
        guard y >= 0, y < height else { return }
        let end = min(width, x + (w ?? width))
        var i = max(0, x); while i < end { cells[y][i] = " "; styles[y][i] = style; i += 1 }
    }
    @discardableResult
    public mutating func put(_ label: String, x: Int, y: Int, maxWidth: Int? = nil, style: Style) -> Int {
        guard y >= 0, y < height else { return 0 }
        var i = x; let end = min(width, x + (maxWidth ?? width))
        for ch in label where i < end { if i >= 0 { cells[y][i] = ch; styles[y][i] = style }; i += 1 }
        return max(0, i - x)
    }
    public mutating func clear(style: Style) { for y in 0..<height { fill(row: y, style: style) } }
    public func text(ofRow y: Int) -> String { String(cells[y]) }
}
