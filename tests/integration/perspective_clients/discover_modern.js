// Perspective through Node's googleapis as it is today: google.discoverAPI builds the client
// from this service's discovery document. Usage: node discover_modern.js DISCOVERY_URL KEY
// Prints one JSON line: the analyze answer, the suggestscore answer, and a refusal's body.
const {google} = require('googleapis');

async function main() {
  const [discoveryUrl, key] = process.argv.slice(2);
  const client = await google.discoverAPI(discoveryUrl);
  const analyzed = await client.comments.analyze({
    key,
    requestBody: {comment: {text: 'Thanks for the lovely photo. You are an idiot.'},
                  requestedAttributes: {TOXICITY: {}, INSULT: {}}, spanAnnotations: true, clientToken: 'node-1'},
  });
  const suggested = await client.comments.suggestscore({
    key,
    requestBody: {comment: {text: 'Thanks for the lovely photo.'},
                  attributeScores: {TOXICITY: {summaryScore: {value: 0}}}, clientToken: 'node-2'},
  });
  let refusal = null;
  try {
    await client.comments.analyze({key, requestBody: {comment: {text: 'hello'}, requestedAttributes: {SPAM: {}}}});
  } catch (error) {
    refusal = {status: error.response.status, body: error.response.data};
  }
  console.log(JSON.stringify({analyzed: analyzed.data, suggested: suggested.data, refusal}));
}

main().catch((error) => { console.error(error); process.exit(1); });
