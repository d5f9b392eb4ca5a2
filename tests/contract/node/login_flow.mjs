// Seed 001's "Example Login Flow", run as written by tests/contract/test_seed_001.py.
//
// Between the two marker lines is the document's code, unchanged but for its base URL:
// the test replaces the development base URL's '/api/' with the mesh's /lumiku/api/.
// The account 'user@example.com' / 'password123' is registered by the test first.
// The document sends `formData` without defining it: the harness above the markers
// defines it (the cURL example's fields, `image` and `tier=professional`); the harness
// below prints what came back as one JSON line for the test to check.
import { readFileSync } from 'node:fs'

const formData = new FormData()
formData.append('image', new Blob([readFileSync(process.argv[2])], { type: 'image/jpeg' }), 'photo.jpg')
formData.append('tier', 'professional')

// ---- the document's code ----
// 1. Login to get token
const loginResponse = await fetch('/api/auth/login', {
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({
    email: 'user@example.com',
    password: 'password123'
  })
})

const { token } = await loginResponse.json()

// 2. Use token in subsequent requests
const response = await fetch('/api/background-remover/remove', {
  method: 'POST',
  headers: {
    'Authorization': `Bearer ${token}`,
    'Content-Type': 'multipart/form-data'
  },
  body: formData
})
// ---- end of the document's code ----

console.log(JSON.stringify({ loginStatus: loginResponse.status, token, status: response.status, body: await response.json() }))
