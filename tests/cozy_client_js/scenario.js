'use strict'
// Drives the fake Cozy stack with Cozy's own client (cozy-stack-client, the
// library under cozy-client that Ecolyo uses) and asserts on what the client
// returns. Run by tests/test_cozy_scenario.py, which starts the fake stack,
// seeds it and checks what the stack holds afterwards.
//
// Each check prints one line "RESULT {json}"; the last line says
// "N passed, M failed" and the exit status is 1 when a check failed.

const assert = require('node:assert/strict')
const { default: CozyStackClient, OAuthClient } = require('cozy-stack-client')
const flag = require('cozy-flags').default

const env = name => {
  if (!process.env[name]) throw new Error(`${name} is not set: run this through tests/test_cozy_scenario.py`)
  return process.env[name]
}
const URI = env('COZY_URL')
const DOCTYPE = env('COZY_DOCTYPE')
const TOKEN = env('COZY_TOKEN')
const READ_TOKEN = env('COZY_READ_TOKEN')
const OAUTH_TTL = Number(env('COZY_OAUTH_TTL'))
const EXPECTED = Number(env('COZY_EXPECTED_DOCS'))
const REMOTE = 'cc.cozycloud.dacc.dev'

const client = new CozyStackClient({ uri: URI, token: TOKEN })
const events = client.collection(DOCTYPE)
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))
const byDate = (a, b) => (a.eventDate < b.eventDate ? -1 : a.eventDate > b.eventDate ? 1 : a._id < b._id ? -1 : 1)

// Rejects with the client's FetchError; returns it so that checks can look at it.
async function refused(promise) {
  try {
    await promise
  } catch (err) {
    return err
  }
  throw new Error('expected the call to be refused')
}

const results = []
async function check(name, fn) {
  try {
    await fn()
    results.push({ check: name, ok: true })
  } catch (err) {
    results.push({ check: name, ok: false, error: String((err && err.stack) || err) })
  }
  console.log('RESULT ' + JSON.stringify(results[results.length - 1]))
}

let everything = [] // every usage event, as _all_docs gives them

async function main() {
  await check('all() pages with skip (_normal_docs)', async () => {
    const seen = []
    let skip = 0
    let page
    do {
      page = await events.all({ limit: 100, skip })
      assert.equal(page.meta.count, EXPECTED)
      seen.push(...page.data)
      skip += page.data.length
    } while (page.next)
    assert.equal(seen.length, EXPECTED)
    assert.equal(new Set(seen.map(d => d._id)).size, EXPECTED)
    assert.ok(seen.every(d => !d._id.startsWith('_design') && d._type === DOCTYPE && d.id === d._id))
  })

  await check('all() pages with bookmark (_normal_docs)', async () => {
    const seen = []
    let page = await events.all({ limit: 100 })
    seen.push(...page.data)
    while (page.next) {
      page = await events.all({ limit: 100, bookmark: page.bookmark })
      seen.push(...page.data)
    }
    assert.equal(new Set(seen.map(d => d._id)).size, EXPECTED)
  })

  await check('all({limit: null}) reads _all_docs without the design docs', async () => {
    const all = await events.all({ limit: null })
    assert.equal(all.data.length, EXPECTED)
    assert.ok(all.data.every(d => !d._id.startsWith('_design')))
    everything = all.data
  })

  await check('all({keys}) and getAll(ids) (GET and POST _all_docs)', async () => {
    const ids = everything.slice(0, 3).map(d => d._id)
    const byKeys = await events.all({ keys: [...ids, 'no-such-id'] })
    assert.deepEqual(byKeys.data.map(d => d._id), ids)
    const got = await events.getAll([ids[1], 'no-such-id', ids[0]])
    assert.deepEqual(got.data.map(d => d._id), [ids[1], ids[0]])
    assert.equal(got.meta.count, 2)
  })

  await check('get() a document, and a missing one', async () => {
    const first = everything[0]
    const { data } = await events.get(first._id)
    assert.equal(data._id, first._id)
    assert.equal(data._rev, first._rev)
    assert.equal(data._type, DOCTYPE)
    assert.equal(data.eventDate, first.eventDate)
    const missing = await events.get('no-such-id')
    assert.equal(missing.data, null)
  })

  const since = '2022-07-01T00:00:00.000Z'
  const later = () => everything.filter(d => d.eventDate > since).sort(byDate)

  await check('find() with no index yet: no_index, _design_docs, _index, then the answer, sorted', async () => {
    const found = await events.find(
      { eventDate: { $gt: since } },
      { indexedFields: ['eventDate'], sort: [{ eventDate: 'asc' }], limit: 50 }
    )
    assert.deepEqual(found.data.map(d => d._id), later().slice(0, 50).map(d => d._id))
    assert.equal(found.next, true)
    assert.ok(found.bookmark)
    const indexes = await events.fetchAllMangoIndexes()
    assert.ok(indexes.some(ix => ix._id === '_design/by_eventDate'))
  })

  await check('find() with fields, skip and a descending sort', async () => {
    const found = await events.find(
      { eventDate: { $gt: since } },
      { indexedFields: ['eventDate'], sort: [{ eventDate: 'desc' }], fields: ['type', 'eventDate'], skip: 5,
        limit: 10 }
    )
    const expected = later().reverse().slice(5, 15)
    assert.deepEqual(found.data.map(d => d._id), expected.map(d => d._id))
    for (const doc of found.data) {
      // The client asks for _id and _rev too; normalizeDoc adds id and _type.
      assert.deepEqual(Object.keys(doc).sort(), ['_id', '_rev', '_type', 'eventDate', 'id', 'type'])
    }
  })

  await check('findAll() follows the bookmarks', async () => {
    const all = await events.findAll(
      { eventDate: { $gt: since } },
      { indexedFields: ['eventDate'], sort: [{ eventDate: 'asc' }], limit: 40 }
    )
    assert.deepEqual(all.map(d => d._id), later().map(d => d._id))
  })

  await check('execution_stats with the debug flag', async () => {
    flag('debug', true)
    try {
      const found = await events.find({ eventDate: { $gt: since } }, { indexedFields: ['eventDate'], limit: 5 })
      assert.equal(found.execution_stats.results_returned, 5)
      assert.ok(found.execution_stats.total_docs_examined >= 5)
    } finally {
      flag('debug', false)
    }
  })

  await check('an index made without a name is found, copied under the client\'s name and destroyed', async () => {
    const indexes = await events.fetchAllMangoIndexes()
    // The seeded view design doc is not a mango index: the client leaves it out.
    assert.ok(indexes.every(ix => ix.language === 'query'))
    const unnamed = indexes.find(ix => ix.views && Object.keys(ix.views)[0] !== 'by_type' &&
      Object.keys(ix.views[Object.keys(ix.views)[0]].map.fields)[0] === 'type')
    assert.ok(unnamed, 'the seeded index on type')
    await events.migrateIndex(unnamed, 'by_type')
    const after = await events.fetchAllMangoIndexes()
    assert.ok(after.some(ix => ix._id === '_design/by_type'))
    assert.ok(!after.some(ix => ix._id === unnamed._id))
    const found = await events.find({ type: 'ConnectionEvent' }, { indexedFields: ['type'] })
    assert.ok(found.data.length > 0 && found.data.every(d => d.type === 'ConnectionEvent'))
  })

  await check('createIndex() is created, then exists', async () => {
    const first = await events.createIndex(['target'], { indexName: 'by_target' })
    assert.equal(first.id, '_design/by_target')
    const again = await events.createIndex(['target'], { indexName: 'by_target' })
    assert.deepEqual(again, { id: '_design/by_target', fields: ['target'] })
  })

  let updated
  await check('update() with _rev', async () => {
    const { data } = await events.get(everything[1]._id)
    const moved = { ...data, eventDate: '2021-12-31T23:00:00.000Z', aggregated: true }
    const result = await events.update(moved)
    assert.equal(result.data._id, data._id)
    assert.notEqual(result.data._rev, data._rev)
    assert.equal(result.data.eventDate, '2021-12-31T23:00:00.000Z')
    assert.equal(result.data._type, DOCTYPE)
    updated = { before: data, after: result.data }
  })

  await check('a stale update is refused with 409', async () => {
    assert.ok(updated, 'needs the update above')
    const err = await refused(events.update({ ...updated.before, note: 'stale' }))
    assert.equal(err.name, 'FetchError')
    assert.equal(err.status, 409)
    assert.equal(err.reason.error, 'conflict')
    assert.match(err.message, /Document update conflict/)
  })

  await check('updateAll() through _bulk_docs; a stale document conflicts', async () => {
    const docs = (await events.getAll(everything.slice(2, 5).map(d => d._id))).data
    const changed = docs.map(d => ({ ...d, aggregated: true }))
    changed[2]._rev = '1-0000000000000000000000000000dead'
    const answers = await events.updateAll(changed)
    assert.equal(answers.length, 3)
    assert.ok(answers[0].ok && answers[1].ok && answers[0].rev.startsWith('2-'))
    assert.deepEqual(answers[2], { id: docs[2]._id, error: 'conflict', reason: 'Document update conflict.' })
  })

  await check('destroy(), then the document is gone', async () => {
    const { data } = await events.get(everything[5]._id)
    const result = await events.destroy(data)
    assert.equal(result.data._deleted, true)
    assert.ok(result.data._rev.startsWith('2-'))
    assert.equal((await events.get(data._id)).data, null)
    assert.deepEqual((await events.all({ keys: [data._id] })).data, [])
    const err = await refused(events.update(data))
    assert.equal(err.status, 409)
  })

  await check('create() with and without an id', async () => {
    const fixed = await events.create({ _id: 'made-by-the-client', type: 'ConnectionEvent',
      eventDate: '2022-02-02T10:00:00.000Z', aggregated: false })
    assert.equal(fixed.data._id, 'made-by-the-client')
    assert.ok(fixed.data._rev.startsWith('1-'))
    const free = await events.create({ type: 'ConnectionEvent', eventDate: '2022-02-03T10:00:00.000Z' })
    assert.ok(free.data._id && free.data._rev.startsWith('1-'))
    const again = await refused(events.create({ _id: 'made-by-the-client', type: 'ConnectionEvent' }))
    assert.equal(again.status, 409)
  })

  await check('a database that does not exist reads as empty', async () => {
    const nothing = client.collection('com.example.nothing')
    assert.deepEqual((await nothing.all()).data, [])
    assert.deepEqual((await nothing.all({ limit: null })).data, [])
    assert.deepEqual((await nothing.find({ a: { $gt: null } }, { indexedFields: ['a'] })).data, [])
  })

  await check('the remote push to cc.cozycloud.dacc.dev and _v2, as Ecolyo posts it', async () => {
    const measure = { createdBy: 'ecolyo', measureName: 'connection-count-daily', startDate: '2022-01-03',
      value: 4, group1: { device: 'desktop' } }
    const answer = await client.fetchJSON('POST', `/remote/${REMOTE}`, { data: JSON.stringify(measure) })
    assert.deepEqual(answer, { ok: true })
    const v2 = await client.fetchJSON('POST', `/remote/${REMOTE}_v2`,
      { path: 'measure', data: JSON.stringify({ ...measure, startDate: '2022-01-04' }) })
    assert.deepEqual(v2, { ok: true })
    const rejected = await refused(client.fetchJSON('POST', `/remote/${REMOTE}`,
      { data: JSON.stringify({ ...measure, measureName: 'no-such-measure' }) }))
    assert.equal(rejected.status, 400)
    assert.ok(rejected.reason.error)
    const notStrings = await refused(client.fetchJSON('POST', `/remote/${REMOTE}`, { data: measure }))
    assert.equal(notStrings.status, 400)
    assert.equal(notStrings.reason.errors[0].detail, 'the variables are not valid')
  })

  await check('a bad token, no token, a token outside its scope', async () => {
    const bad = new CozyStackClient({ uri: URI, token: 'not-a-token' })
    const badErr = await refused(bad.collection(DOCTYPE).all())
    assert.equal(badErr.status, 400)
    assert.equal(badErr.message, 'Invalid token') // from WWW-Authenticate: Bearer error="invalid_token"
    const none = new CozyStackClient({ uri: URI })
    const noneErr = await refused(none.collection(DOCTYPE).all())
    assert.equal(noneErr.status, 401)
    const reader = new CozyStackClient({ uri: URI, token: READ_TOKEN })
    assert.equal((await reader.collection(DOCTYPE).all({ limit: 1 })).data.length, 1)
    const forbidden = await refused(reader.collection(DOCTYPE).update({ ...everything[6] }))
    assert.equal(forbidden.status, 403)
    const noPush = await refused(reader.fetchJSON('POST', `/remote/${REMOTE}`, { data: '{}' }))
    assert.equal(noPush.status, 403)
  })

  await check('OAuth: register, PKCE code, token, expiry refreshed, unregister revokes', async () => {
    const refreshed = []
    const revoked = []
    const oauth = new OAuthClient({
      uri: URI,
      oauth: { redirectURI: 'http://127.0.0.1:1/callback', softwareID: 'dacc-gui-scenario',
        clientName: 'DACC Inspector scenario', clientKind: 'desktop' },
      scope: [`${DOCTYPE}:GET,PUT`, `${REMOTE}:POST`],
      onTokenRefresh: token => refreshed.push(token),
      onRevocationChange: state => revoked.push(state)
    })
    const registration = await oauth.register()
    assert.ok(registration.clientID && registration.clientSecret && registration.registrationAccessToken)
    const verifier = 'v'.repeat(20) + Date.now()
    const challenge = require('node:crypto').createHash('sha256').update(verifier).digest('base64url')
    const state = oauth.generateStateCode()
    const page = await fetch(oauth.getAuthCodeURL({ stateCode: state, codeChallenge: challenge }),
      { redirect: 'manual' })
    assert.equal(page.status, 302)
    const back = new URL(page.headers.get('location'))
    assert.equal(back.searchParams.get('state'), state)
    // docs/auth.md: the redirect carries "code" (the client's getAccessCodeFromURL reads "access_code").
    const code = back.searchParams.get('code')
    const wrong = await refused(oauth.fetchAccessToken(code, undefined, undefined, 'not-the-verifier'))
    assert.equal(wrong.status, 400)
    const again = await fetch(oauth.getAuthCodeURL({ stateCode: state, codeChallenge: challenge }),
      { redirect: 'manual' })
    const token = await oauth.fetchAccessToken(new URL(again.headers.get('location')).searchParams.get('code'),
      undefined, undefined, verifier)
    assert.ok(token.accessToken && token.refreshToken)
    oauth.setToken(token)
    const collection = oauth.collection(DOCTYPE)
    assert.equal((await collection.all({ limit: 2 })).data.length, 2)
    await sleep(OAUTH_TTL * 1000 + 300)
    // The access token has expired: the client refreshes it and asks again.
    assert.equal((await collection.all({ limit: 2 })).data.length, 2)
    assert.equal(refreshed.length, 1)
    assert.notEqual(refreshed[0].accessToken, token.accessToken)
    assert.equal(refreshed[0].refreshToken, token.refreshToken) // none came back: the old one is kept
    const info = await oauth.fetchInformation()
    assert.equal(info.client_id, registration.clientID)
    const clientID = oauth.oauthOptions.clientID
    await oauth.unregister()
    oauth.oauthOptions.clientID = clientID // as if another device had unregistered it
    // The token is refused; refreshing it says the client is gone: the client calls it a revocation.
    const err = await refused(collection.all({ limit: 2 }))
    assert.equal(err.status, 400)
    assert.equal(err.message, 'Invalid token')
    assert.deepEqual(revoked.slice(-1), [true])
  })

  const failed = results.filter(r => !r.ok).length
  console.log(`${results.length - failed} passed, ${failed} failed`)
  process.exitCode = failed ? 1 : 0
}

main().catch(err => {
  console.error(err)
  process.exitCode = 2
})
