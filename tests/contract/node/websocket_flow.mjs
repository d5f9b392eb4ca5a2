// Seed 001's "WebSocket Real-Time Updates" client, run as written by tests/contract/test_seed_001.py.
//
// The document's `ws.on(...)` is the API of the npm `ws` package, imported on the next line.
// Where npm cannot install it, the test replaces that one line with a class over Node's
// built-in WebSocket (Node >= 22, or 20 with --experimental-websocket): the built-in one is
// the browser's and has no `on`, so the class maps on('open'|'message'|...) to its
// addEventListener equivalents, passing a message's data as `ws` does.
import WebSocket from 'ws'

// Between the marker lines is the document's code, unchanged but for its base URL (the test
// puts the mesh's ws://.../lumiku/v1 for 'wss://api.lumiku.com/v1') and its two placeholders
// (YOUR_JWT_TOKEN and batch_xyz789: the caller's token and the batch the test started).
// ---- the document's code ----
const ws = new WebSocket('wss://api.lumiku.com/v1/background-remover/ws')

ws.on('open', () => {
  // Authenticate
  ws.send(JSON.stringify({
    type: 'auth',
    token: 'YOUR_JWT_TOKEN'
  }))

  // Subscribe to batch updates
  ws.send(JSON.stringify({
    type: 'subscribe',
    batchId: 'batch_xyz789'
  }))
})

ws.on('message', (data) => {
  const update = JSON.parse(data)
  console.log('Progress:', update.progress)
})
// ---- end of the document's code ----

// The harness: every message as one `MESSAGE {json}` line; closed once the batch has ended.
const timer = setTimeout(() => {
  console.error('no completed or error message within 120 s')
  process.exit(2)
}, 120000)
ws.on('message', (data) => {
  const update = JSON.parse(data)
  console.log('MESSAGE ' + JSON.stringify(update))
  if (update.type === 'completed' || update.type === 'error') {
    clearTimeout(timer)
    ws.close()
  }
})
ws.on('error', (error) => {
  console.error('websocket error: ' + (error && error.message ? error.message : String(error)))
  process.exit(3)
})
